// The ship agent: owns the ship's state and wires its independent loops —
// the HQ poller (hq-poll.ts), one pipeline per service (service-pipeline.ts,
// deploy.ts), healing (heal.ts) and draining (drain.ts) — to the front door
// (routes.ts) and the control socket (control.ts). No loop awaits another:
// a stall in one service's git, orders or build stops nothing else.
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { Server } from 'node:net';
import { assets } from '../core/assets.js';
import type { ShipConfig } from '../core/config.js';
import type { Logger } from '../core/log.js';
import { shipPaths, type ShipPaths } from '../core/paths.js';
import { closedAncestor } from '../core/reachable-root.js';
import { releasesOf } from '../process/releases-view.js';
import { HOOK_SECRET, NOTIFY_URLS } from '../secrets/crypto.js';
import { Notifier } from '../notify/notifier.js';
import { MetricsCollector } from '../metrics/collector.js';
import { containerCpuSeconds } from '../container/cgroup-cpu.js';
import { metricsView, type ServiceMetricsView } from '../metrics/view.js';
import { renderPrometheus } from '../metrics/aggregate.js';
import type { NotifyEventName } from '../notify/events.js';
import { killRunningSteps, runOrThrow } from '../core/sh.js';
import { luaModuleProblem, readStreams } from '../nginx/peers.js';
import { cleanBuildLeftovers } from '../build/leftovers.js';
import { containerMemoryBytes } from '../container/cgroup-memory.js';
import { clearOrdersScratch } from '../hq/orders.js';
import { clearStaleJails, jailsAvailable } from '../sandbox/cgroup.js';
import { ensureBase, pidAlive, readPid } from '../container/container.js';
import { containerIds, shipContainerIds, type ContainerIds } from '../container/idmap.js';
import type { NginxTls } from '../nginx/config.js';
import { CertStore, ensureTlsTmpfs } from '../tls/cert-store.js';
import { CertKeeper } from '../tls/keeper.js';
import { shipDomains } from './domain-claims.js';
import { parseSubnet, type Subnet } from '../container/network.js';
import { Expiring, LOGIN_CODE_MS, serveDashboard } from '../dashboard/server.js';
import { parseGitUrl } from '../git/resolve.js';
import { removeOrphanLogs } from '../logs/container-logs.js';
import { QUIET_MS, TrimSchedule, trimMemory, type TrimReport } from '../core/memory-trim.js';
import type { VersionState } from './version-states.js';
import { logsStream } from '../logs/control.js';
import { LogFollower } from '../logs/follow.js';
import { LogHub } from '../logs/hub.js';
import { HoldProxy } from '../nginx/hold-proxy.js';
import { nginxRunning } from '../nginx/reload.js';
import { awaitSecrets } from '../secrets/await.js';
import { ShipSecrets } from '../secrets/store.js';
import { AdmiralSync } from './admirals-sync.js';
import type { Ship } from './ship.js';
import { Controller } from './control.js';
import { serveControl } from './control-server.js';
import { Deployer } from './deploy.js';
import { Drainer } from './drain.js';
import { Healer } from './heal.js';
import { healDeps, holdHooks } from './wiring.js';
import { HqPoller } from './hq-poll.js';
import { RouteSwitch } from './routes.js';
import { Services } from './services.js';
import { SecretReads } from './secret-reads.js';
import { reconcile } from './reconcile.js';
import { loadState, saveState, type ContainerRecord, type ServiceRecord, type ShipState } from './state.js';
import { statusOf, type HealthSeen, type ShipStatus } from './status.js';

/** Where container trees sit: containers run as the ship range's uids and must pass through. */
const TRAVERSED = 0o711;
// A version in these states is being built, started or checked: the agent is busy (memory-trim.ts).
const IN_FLIGHT = new Set<VersionState>(['queued', 'building', 'starting', 'checking']);

export class Agent implements Ship {
  readonly paths: ShipPaths;
  private readonly trimSchedule = new TrimSchedule(Number(process.env.STARPHLEET_TRIM_QUIET_SECONDS ?? QUIET_MS / 1000) * 1000 || QUIET_MS);
  private lastTrimReport: TrimReport | null = null;
  readonly subnet: Subnet;
  readonly secrets: ShipSecrets;
  readonly hub: LogHub;
  readonly follower: LogFollower;
  readonly healthSeen = new Map<string, HealthSeen>();
  readonly hold: HoldProxy;
  readonly routeSwitch: RouteSwitch;
  readonly certs: CertStore;
  readonly certKeeper: CertKeeper;
  readonly drainer: Drainer;
  readonly healer: Healer;
  readonly deployer: Deployer;
  readonly hq: HqPoller;
  readonly admirals: AdmiralSync;
  readonly services: Services;
  private readonly secretReads: SecretReads;
  readonly loginCodes = new Expiring(LOGIN_CODE_MS);
  private shipState: ShipState;
  private servers: Server[] = [];
  private isStopping = false;
  private wake: (() => void) | null = null;
  private bridgeCreatedNow = false;
  private ownsRoot = false;
  private readonly controller: Controller;
  private readonly notifier: Notifier;
  readonly metrics: MetricsCollector;
  /** Set at start: the ship's subordinate id range, or the host's ids where it has none. */
  containerIds: ContainerIds = containerIds(null);
  private containersNote = 'not started';

  /** reachable: the path the ship's code uses for config.root (see core/reachable-root.ts). */
  constructor(readonly config: ShipConfig, readonly log: Logger, hub?: LogHub, reachable: string = config.root) {
    this.paths = shipPaths(reachable);
    this.hub = hub ?? new LogHub();
    this.follower = new LogFollower(this.hub, (name) => this.paths.containerLog(name));
    this.subnet = parseSubnet(config.subnet);
    this.shipState = loadState(this.paths.state);
    this.secrets = new ShipSecrets(config.root, () => (this.shipState.hqCommit ? this.paths.hqSnapshot(this.shipState.hqCommit) : null));
    this.secretReads = new SecretReads(this.secrets, () => this.shipState, log);
    this.healer = new Healer(healDeps(this));
    this.hold = new HoldProxy(this.paths.holdSockets, holdHooks(this));
    this.certs = new CertStore(this.paths, this.secrets);
    this.metrics = new MetricsCollector(() => Object.keys(this.shipState.services), (path) => {
      const serving = this.shipState.services[path]?.serving;
      if (!serving) return null;
      const pid = readPid(this.paths.supervisorPid(serving));
      const restarts = Object.values(this.shipState.containers).filter((c) => c.servicePath === path).reduce((n, c) => n + c.restarts, 0);
      return { container: serving, memoryBytes: containerMemoryBytes(serving, pid), cpuSeconds: containerCpuSeconds(serving, pid), restarts };
    }, async () => {
      // nginx counts streams by service id; the metrics are by path.
      const byId = await readStreams(this.paths.nginxControlSocket);
      const out = new Map<string, number>();
      for (const s of Object.values(this.shipState.services)) out.set(s.path, byId.get(s.id) ?? 0);
      return out;
    });
    this.routeSwitch = new RouteSwitch(config, this.paths, () => this.shipState, this.hold, () => this.save(), () => this.liveCerts(), () => this.metrics.address());
    this.notifier = new Notifier({
      ship: this.hub.ship,
      urls: () => this.secrets.shipSetting(NOTIFY_URLS)?.toString('utf8') ?? null,
      log: (line) => this.log('agent', null, line),
    });
    this.certKeeper = new CertKeeper({
      config, paths: this.paths, shDir: assets().sh, store: this.certs,
      wanted: () => [...shipDomains(this.shipState.services).owner.keys()].sort(),
      changed: () => this.applyRoutes(),
      log: (line) => this.log('agent', null, line),
      failed: (domain, why) => this.notify('cert.failed', { cause: `${domain}: ${why}` }),
    });
    this.drainer = new Drainer(this, (name) => this.healer.forget(name));
    const slots = Number(process.env.STARPHLEET_BUILDS ?? cpus().length) || 1;
    this.deployer = new Deployer(this, slots, () => this.admirals.gitEnv());
    this.admirals = new AdmiralSync(this);
    this.controller = new Controller(this);
    this.services = new Services(this);
    this.hq = new HqPoller(this, {
      services: (found, commit) => this.services.adopt(found, commit),
      gitEnv: () => this.admirals.gitEnv(),
      explainGit: (err) => this.admirals.explainGit(err),
    });
  }

  // ------------------------------------------------------------ the context

  state(): ShipState {
    return this.shipState;
  }

  save(): void {
    saveState(this.paths.state, this.shipState);
  }

  stopping(): boolean {
    return this.isStopping;
  }

  get switching(): Map<string, string> {
    return this.routeSwitch.switching;
  }

  applyRoutes(startIfNeeded = false): Promise<void> {
    return this.routeSwitch.apply(startIfNeeded);
  }

  startDrain(c: ContainerRecord): void {
    this.drainer.startDrain(c);
  }

  discard(c: ContainerRecord, why: string): Promise<void> {
    return this.drainer.discard(c, why);
  }

  serviceOf(c: ContainerRecord): ServiceRecord | undefined {
    return this.shipState.services[c.servicePath];
  }

  serviceById(serviceId: string): ServiceRecord | undefined {
    return Object.values(this.shipState.services).find((x) => x.id === serviceId);
  }

  refreshStreams(): Promise<void> {
    return this.metrics.refreshStreams();
  }

  /** The last memory trim (core/memory-trim.ts), for benches and tests. */
  lastTrim(): TrimReport | null {
    return this.lastTrimReport;
  }

  lastNginxApply(): RouteSwitch['lastApply'] {
    return this.routeSwitch.lastApply;
  }

  metricsView(points: boolean): ServiceMetricsView[] {
    return metricsView(this.metrics.services, Object.keys(this.shipState.services), (path) => this.metrics.usageOf(path), points);
  }

  notify(event: NotifyEventName, f: { service?: string | null; commit?: string | null; cause?: string | null } = {}): void {
    this.notifier.notify(event, f);
  }

  /** The phleet secrets for a container start; a set that cannot be read is reported, never skipped. */
  secretLines(): Buffer {
    return this.secretReads.exportLines();
  }

  rolloutVersion(): number {
    return this.secretReads.rolloutVersion();
  }

  // -------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    const p = this.paths;
    // Private by default: what the agent and every program it starts (git,
    // nginx, LXC, the supervisors) create is its owner's only. What nginx's
    // workers or a container must reach is opened up where it is made.
    process.umask(0o077);
    for (const dir of [p.root, p.run, p.nginx]) {
      mkdirSync(dir, { recursive: true });
      chmodSync(dir, TRAVERSED);
    }
    // What only root reads (logs, repos, the HQ snapshot, supervisors) is
    // private. What containers reach (their trees, slugs, build folders,
    // caches, bases) can be passed through but not listed; each tree in it
    // belongs to the container's uids. nginx's and the sockets' folders stay reachable.
    for (const dir of [p.logs, p.repos, p.hqSnapshots, p.supervisors, p.nginxControlDir]) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      chmodSync(dir, 0o700);
    }
    for (const dir of [p.lxcpath, p.builds, p.slugs, p.caches, p.bases]) {
      mkdirSync(dir, { recursive: true, mode: TRAVERSED });
      chmodSync(dir, TRAVERSED);
    }
    // The front door switches containers through nginx's Lua module: without it nothing could be routed.
    const lua = luaModuleProblem();
    if (lua) throw new Error(lua);
    const other = readPid(p.agentPid);
    if (other !== null && other !== process.pid && pidAlive(other)) {
      throw new Error(`another ship agent (pid ${other}) already runs with root ${this.config.root}`);
    }
    writeFileSync(p.agentPid, `${process.pid}\n`);
    this.ownsRoot = true;
    this.secrets.ensureKey();
    const closed = closedAncestor(p.root);
    const ids = shipContainerIds();
    this.containerIds = ids.ids;
    if (ids.unprivileged) {
      if (closed) throw new Error(`${closed} is not traversable by others (chmod o+x ${closed}, or another --root): unprivileged containers (uid ${ids.ids.root}) must reach ${p.lxcpath}`);
      const r = ids.ids.range;
      this.containersNote = r ? `unprivileged (host uids ${r.first}-${r.first + r.count - 1})` : 'unprivileged';
    } else {
      this.containersNote = `privileged: ${ids.why}`;
      this.log('agent', null, `warning: containers run in the host's user namespace: ${ids.why}`);
      if (closed) this.log('agent', null, `warning: ${closed} is not traversable by others; nginx workers cannot buffer large requests under ${p.nginx}`);
    }
    if (!this.config.headquarters) throw new Error('no headquarters: give --headquarters URL or set STARPHLEET_HEADQUARTERS');
    parseGitUrl(this.config.headquarters);

    const bridgeOut = await runOrThrow(`${assets().sh}/bridge-up`, [
      this.config.bridge, `${this.subnet.gateway}/${this.subnet.prefix}`, this.config.nat ? 'on' : 'off', this.config.subnet,
    ]);
    if (bridgeOut.includes('created')) {
      writeFileSync(p.bridgeMark, `${this.config.bridge} ${this.config.subnet}\n`);
      this.bridgeCreatedNow = true;
    }
    await ensureBase(p, assets().lxc, this.config.base, this.containerIds, (l) => this.log('agent', null, l));
    // The default Node.js is checked in the background; the first build waits for it.
    void this.deployer.defaultNodeOnce(null);
    // A build the previous agent did not finish (killed mid-build): its work
    // folder, ENV_DIR tmpfs and build container go; the pipeline builds it again.
    for (const what of await cleanBuildLeftovers(p, assets().sh)) this.log('agent', null, `removed ${what} left by an unfinished build`);
    // Orders reads a killed agent did not finish: their copies and cgroups.
    const copies = clearOrdersScratch(p.ordersScratch);
    const jails = jailsAvailable() ? clearStaleJails('orders-') : [];
    if (copies + jails.length > 0) this.log('agent', null, `removed ${copies} orders copies and ${jails.length} cgroups left by an unfinished orders read`);
    // Stored certificates come back to the tmpfs nginx reads (never issued again).
    mkdirSync(p.acmeWebroot, { recursive: true });
    chmodSync(p.acmeWebroot, TRAVERSED);
    if (this.certs.domains().length > 0) {
      await ensureTlsTmpfs(p);
      for (const d of this.certs.domains()) {
        const stored = this.certs.read(d);
        try {
          if (stored) this.certs.writeLive(stored);
        } catch (err) {
          this.log('agent', null, `certificate for ${d}: ${p.certFile(d)}: ${(err as Error).message}`);
        }
      }
    }
    // A ship with versions in its state ran before: this agent is a restart.
    const restarted = Object.keys(this.shipState.containers).length > 0;
    await reconcile(this);
    // Before the first routes: nginx is told where to send its per-request lines.
    await this.metrics.start(p.metricsPort);
    this.services.resume();
    if (restarted) this.notify('agent.restarted', { cause: `agent pid ${process.pid} took over ${Object.keys(this.shipState.containers).length} containers` });
    removeOrphanLogs(p, new Set(Object.keys(this.shipState.containers)));
    await this.applyRoutes(true);
    // Every container's output flows into the log stream from here on.
    for (const c of Object.values(this.shipState.containers)) this.follower.follow(c.name, c.servicePath, false, c.process ?? 'web.1');
    this.follower.start();
    this.servers.push(await serveDashboard({
      socketPath: p.dashboardSocket, tokenFile: p.dashboardToken, loginCodes: this.loginCodes,
      staticDir: () => `${assets().root}/lib/dashboard`,
      status: () => this.status(), releases: () => releasesOf(this.shipState), hub: this.hub,
      hookSecret: () => this.secrets.shipSetting(HOOK_SECRET),
      metricsText: () => renderPrometheus(this.metrics.services, (path) => this.metrics.usageOf(path)),
      metricsJson: () => this.metricsView(true),
      onPush: (host) => {
        this.log('agent', null, `push hook (${host}): polling the headquarters and every service repo now`);
        // As a nudge: backoffs forgiven, every poll at once (the hook carries no code; the ship still pulls).
        this.hq.forgive();
        for (const p of this.services.pipelines.values()) p.forgive();
        void this.pulse();
      }, knownService: (path) => path in this.shipState.services,
    }));
    this.servers.push(await serveControl(p.controlSocket, (req) => this.controller.handle(req), (req, sock) => {
      if (req.cmd === 'logs') logsStream(this.hub, (path) => path in this.shipState.services, req, sock);
      else sock.end(JSON.stringify({ ok: false, error: `'${String(req.cmd)}' cannot stream` }) + '\n');
    }));
    // Healing runs from here on, whatever the polls do; certificates too.
    this.healer.start();
    this.certKeeper.start();
    this.log('agent', null, `ship online: http://127.0.0.1:${this.config.httpPort}/ root ${this.config.root} headquarters ${this.config.headquarters} pulse ${this.config.pulseSeconds}s`);
  }

  /** Runs until stop(): every pulse (or at once when nudged), kick the HQ and every pipeline. */
  async run(): Promise<void> {
    // A ship `add ship` just installed: the phleet's secrets first (bounded).
    await awaitSecrets(() => this.secrets.list().version, Number(process.env.STARPHLEET_AWAIT_SECRETS ?? 0), 60_000, (l) => this.log('agent', null, l));
    while (!this.isStopping) {
      this.pulse();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.config.pulseSeconds * 1000);
        this.wake = () => { clearTimeout(timer); resolve(); };
      });
      this.wake = null;
    }
  }

  /** One pulse: nothing here waits for a step to finish. */
  pulse(): Promise<void> {
    const hq = this.hq.kick();
    void hq.then(async () => {
      await this.admirals.sync();
      this.services.sweepGone(this.hq.scannedOnce);
    });
    this.services.kickAll();
    const inFlight = Object.values(this.shipState.containers).some((c) => IN_FLIGHT.has(c.state));
    if (this.trimSchedule.due(inFlight, Date.now())) {
      this.lastTrimReport = trimMemory(`${assets().libexec}/starphleet-pageout`);
    }
    void this.watchNginx().catch((err: Error) => this.log('agent', null, `nginx: ${err.message}`));
    this.save();
    return hq;
  }

  /** Poll at the next tick instead of at the next pulse. */
  wakeUp(): void {
    this.wake?.();
  }

  /**
   * start() failed (e.g. nginx cannot bind the port): stop, and remove the
   * bridge this start created if no container uses it, so a ship that never
   * came up leaves no bridge on the host.
   */
  async abortStart(): Promise<void> {
    // Refused because another agent runs here: its sockets and bridge are not ours.
    if (!this.ownsRoot) return;
    await this.stop();
    if (!this.bridgeCreatedNow || Object.keys(this.shipState.containers).length > 0) return;
    await runOrThrow(`${assets().sh}/bridge-down`, [this.config.bridge, this.config.subnet]);
    rmSync(this.paths.bridgeMark, { force: true });
  }

  /** Stop the agent only: containers and nginx keep serving. */
  async stop(): Promise<void> {
    this.isStopping = true;
    this.notifier.stop();
    this.metrics.stop();
    this.wake?.();
    this.healer.stop();
    this.certKeeper.stop();
    this.drainer.stop();
    this.services.retireAll();
    for (const s of this.servers) s.close();
    this.hold.close();
    this.follower.stop();
    rmSync(this.paths.controlSocket, { force: true });
    rmSync(this.paths.dashboardSocket, { force: true });
    if (readPid(this.paths.agentPid) === process.pid) rmSync(this.paths.agentPid, { force: true });
    // Its own steps (a fetch, a build, a registry lookup) end with it; the next agent starts them again.
    const ended = killRunningSteps();
    if (ended) this.log('agent', null, `stopping: ended ${ended} step(s) still running`);
    this.save();
  }

  private async watchNginx(): Promise<void> {
    if (!nginxRunning(this.paths.nginx)) {
      this.log('agent', null, 'nginx is not running; starting it');
      await this.applyRoutes(true);
    }
  }

  /** The certificates nginx can load now, for the routes. */
  private liveCerts(): NginxTls {
    const certs: NginxTls['certs'] = {};
    const shipNames: string[] = [];
    for (const d of this.certs.liveDomains()) {
      const files = this.paths.tlsLive(d);
      // The certificate's own fingerprint goes into the config: a renewed one changes the config, so nginx reloads to load it.
      let fingerprint = '';
      try { fingerprint = createHash('sha256').update(readFileSync(files.cert)).digest('hex').slice(0, 16); } catch { /* not there: nginx -t says so */ }
      certs[d] = { ...files, fingerprint };
      if (this.certs.read(d)?.source === 'own') shipNames.push(d);
    }
    return { httpsPort: this.config.httpsPort, certs, shipNames };
  }

  // ----------------------------------------------------------------- status

  status(): ShipStatus {
    const doc = statusOf(this.shipState, this.config, {
      health: (name) => this.healthSeen.get(name),
      memoryBytes: (name) => containerMemoryBytes(name, readPid(this.paths.supervisorPid(name))),
      pipeline: (path) => {
        const p = this.services.pipelines.get(path);
        if (!p) return undefined;
        const pending = p.pending;
        const deploying = pending ? (pending.container ? this.shipState.containers[pending.container]?.state ?? null : pending.state) : null;
        return { step: p.step?.name ?? null, since: p.step?.since ?? null, deploying };
      },
    });
    doc.ship.secretsError = this.shipState.secretsError ?? null;
    doc.ship.containers = this.containersNote;
    doc.ship.certs = this.certKeeper.status();
    return doc;
  }
}
