// The ship agent: poll → resolve → build → start → check → switch → drain.
// It owns the ship's state and is the only writer of it; each pipeline step
// lives in its own module, this file only sequences them.
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Server } from 'node:net';
import { assets } from '../core/assets.js';
import { ensureSlug, pruneSlugs, readSlug, type BuildContext } from '../build/build.js';
import type { ShipConfig } from '../core/config.js';
import {
  destroyContainer, ensureBase, exitStatus, pidAlive, prepareAppContainer, readPid,
  startSupervised, stopContainer, supervisorAlive,
} from '../container/container.js';
import { serveControl } from './control-server.js';
import { describeCheck, probe, waitHealthy } from '../health/healthcheck.js';
import { describeExit } from '../container/exit-reason.js';
import { cleanBuildLeftovers } from '../build/leftovers.js';
import { removeContainerLog, removeOrphanLogs } from '../logs/container-logs.js';
import { sweepServiceFiles } from './service-leftovers.js';
import { containerListenHint } from '../health/listen-hint.js';
import { HoldProxy, type HoldTarget } from '../nginx/hold-proxy.js';
import { afterFailure, describeRetry, due, type RetryState } from '../core/retry-backoff.js';
import { scanHeadquarters, type FoundService } from '../hq/scan.js';
import type { Logger } from '../core/log.js';
import { allocateIp, macForIp, parseSubnet, type Subnet } from '../container/network.js';
import { renderNginxConfig, servicePathProblem, type NginxRoute } from '../nginx/config.js';
import { applyNginxConfig, ipv6Available, nginxRunning, startNginx } from '../nginx/reload.js';
import { readOrders, type Orders } from '../hq/orders.js';
import { shipPaths, type ShipPaths } from '../core/paths.js';
import { parseGitUrl, syncRepo } from '../git/resolve.js';
import { containerNameFor, serviceIdFor } from '../core/service-names.js';
import { runOrThrow } from '../core/sh.js';
import {
  deployKey, loadState, saveState,
  type ContainerRecord, type ServiceRecord, type ShipState,
} from './state.js';
import type { ControlRequest, ControlResponse } from '../phleet/transport.js';
import { ShipSecrets } from '../secrets/store.js';
import { handleSecretsRequest, SECRET_COMMANDS } from '../secrets/control.js';
import { syncAdmirals, type AdmiralsReport } from '../hq/admirals.js';
import { awaitSecrets } from '../secrets/await.js';
import { explainGitError, gitEnv, privatizedKey, storePrivateKey, type KeyInfo } from '../git/privatize.js';
import { statusOf, type HealthSeen, type ShipStatus } from './status.js';
// Logs, status, dashboard (issue 5): the log stream and what reads it.
import { containerMemoryBytes } from '../container/cgroup-memory.js';
import { Expiring, LOGIN_CODE_MS, serveDashboard } from '../dashboard/server.js';
import { LogHub } from '../logs/hub.js';
import { LogFollower } from '../logs/follow.js';
import { logsRequest, logsStream } from '../logs/control.js';

/** Failed containers kept for inspection, per service. */
const KEEP_FAILED = 2;
/** Crash restarts back off from 1 s doubling to 60 s. */
const RESTART_BACKOFF_MAX_MS = 60_000;
const STABLE_MS = 60_000;
/** Built slugs kept per service besides the ones containers use. */
const KEEP_SLUGS = Number(process.env.STARPHLEET_KEEP_SLUGS ?? 5) || 5;

/** The first ancestor of dir that others cannot enter, if any. */
function ancestorsClosedToOthers(dir: string): string | null {
  for (let d = dirname(dir); d !== '/'; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return d;
  }
  return null;
}

export class Agent {
  readonly paths: ShipPaths;
  private state: ShipState;
  private readonly subnet: Subnet;
  private server?: Server;
  private stopping = false;
  private scannedOnce = false;
  /** Service path → container nginx is being switched to (not yet confirmed). */
  private switching = new Map<string, string>();
  private pollRunning: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private nginxChain: Promise<void> = Promise.resolve();
  private buildSlots = 1;
  private readonly baseBuilds = new Map<string, Promise<unknown>>();
  private buildQueue: Array<() => void> = [];
  private restartAt = new Map<string, number>();
  private health = new Map<string, { at: number; failures: number; last: string }>();
  private drainTimers = new Map<string, NodeJS.Timeout>();
  /** This start created the ship's bridge (abortStart removes it again). */
  private bridgeCreatedNow = false;
  /** start() got past the one-agent-per-root check. */
  private ownsRoot = false;
  /** Phleet secrets on this ship (ROOT/secrets): the ship key pair, the sealed set, trusted admirals. */
  readonly secrets: ShipSecrets;
  private watchRunning: Promise<void> | null = null;
  private readonly hold: HoldProxy;
  private lastHoldFlush = new Map<string, number>();
  /** Unreachable repos ('hq' or a service path): fetched again only when due. */
  private fetchRetry = new Map<string, RetryState>();
  /** Admirals (issue 6): the last sync's report, its HQ commit, a fatal sync error. */
  private admirals: AdmiralsReport | null = null;
  private admiralsCommit: string | null = null;
  private admiralsError: string | undefined;
  /** The privatize key's fingerprint (undefined: not looked up yet). */
  private sshKey: KeyInfo | null | undefined;
  // Logs, status, dashboard (issue 5).
  readonly hub: LogHub;
  private readonly follower: LogFollower;
  private healthSeen = new Map<string, HealthSeen>();
  private dashboard?: Server;
  private readonly loginCodes = new Expiring(LOGIN_CODE_MS);

  constructor(private readonly config: ShipConfig, private readonly log: Logger, hub?: LogHub) {
    this.paths = shipPaths(config.root);
    this.hub = hub ?? new LogHub();
    this.follower = new LogFollower(this.hub, (name) => this.paths.containerLog(name));
    this.subnet = parseSubnet(config.subnet);
    this.state = loadState(this.paths.state);
    this.secrets = new ShipSecrets(config.root, () => (this.state.hqCommit ? join(this.paths.hqSnapshots, this.state.hqCommit) : null));
    this.hold = new HoldProxy(this.paths.holdSockets, {
      budgetMs: (id) => (this.serviceById(id)?.orders?.healthcheckTimeoutSeconds ?? 60) * 1000,
      waitForService: (id, deadline) => this.waitForService(id, deadline),
      onHold: (id) => this.onHold(id),
    });
  }

  private save(): void {
    saveState(this.paths.state, this.state);
  }

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    const p = this.paths;
    for (const dir of [p.root, p.run, p.logs, p.lxcpath, p.repos, p.builds, p.slugs, p.bases, p.nginx, p.supervisors]) {
      mkdirSync(dir, { recursive: true });
    }
    const other = readPid(p.agentPid);
    if (other !== null && other !== process.pid && pidAlive(other)) {
      throw new Error(`another ship agent (pid ${other}) already runs with root ${p.root}`);
    }
    writeFileSync(p.agentPid, `${process.pid}\n`);
    this.ownsRoot = true;
    this.secrets.ensureKey();
    // nginx workers run unprivileged and must be able to reach ROOT/nginx.
    chmodSync(p.root, statSync(p.root).mode | 0o011);
    const closed = ancestorsClosedToOthers(p.root);
    if (closed) this.log('agent', null, `warning: ${closed} is not traversable by others; nginx workers cannot buffer large requests under ${p.nginx}`);
    if (!this.config.headquarters) throw new Error('no headquarters: give --headquarters URL or set STARPHLEET_HEADQUARTERS');
    parseGitUrl(this.config.headquarters);

    const bridgeOut = await runOrThrow(`${assets().sh}/bridge-up`, [
      this.config.bridge, `${this.subnet.gateway}/${this.subnet.prefix}`, this.config.nat ? 'on' : 'off', this.config.subnet,
    ]);
    if (bridgeOut.includes('created')) {
      writeFileSync(join(p.run, 'bridge-created'), `${this.config.bridge} ${this.config.subnet}\n`);
      this.bridgeCreatedNow = true;
    }
    await ensureBase(p, assets().lxc, this.config.base, (l) => this.log('agent', null, l));
    // A build the previous agent did not finish (killed mid-build): its work
    // folder, ENV_DIR tmpfs and build container go; the poll builds it again.
    for (const what of await cleanBuildLeftovers(p, assets().sh)) this.log('agent', null, `removed ${what} left by an unfinished build`);
    await this.reconcile();
    removeOrphanLogs(p, new Set(Object.keys(this.state.containers)));
    await this.applyRoutes(true);
    // Every container's output flows into the log stream from here on.
    for (const c of Object.values(this.state.containers)) this.follower.follow(c.name, c.servicePath, false);
    this.follower.start();
    this.dashboard = await serveDashboard({
      socketPath: this.dashboardSocket, tokenFile: join(p.root, 'dashboard.token'), loginCodes: this.loginCodes,
      staticDir: () => join(assets().root, 'lib', 'dashboard'),
      status: () => this.status(), hub: this.hub, knownService: (path) => path in this.state.services,
    });
    this.server = await serveControl(p.controlSocket, (req) => this.handle(req), (req, sock) => {
      if (req.cmd === 'logs') logsStream(this.hub, (path) => path in this.state.services, req, sock);
      else sock.end(JSON.stringify({ ok: false, error: `'${String(req.cmd)}' cannot stream` }) + '\n');
    });
    this.log('agent', null, `ship online: http://127.0.0.1:${this.config.httpPort}/ root ${p.root} headquarters ${this.config.headquarters} pulse ${this.config.pulseSeconds}s`);
  }

  /** Runs until stop(): poll every pulse, or at once when nudged. */
  async run(): Promise<void> {
    // A ship `add ship` just installed: the phleet's secrets first (bounded).
    await awaitSecrets(() => this.secrets.list().version, Number(process.env.STARPHLEET_AWAIT_SECRETS ?? 0), 60_000, (l) => this.log('agent', null, l));
    while (!this.stopping) {
      await this.pollOnce();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.config.pulseSeconds * 1000);
        this.wake = () => { clearTimeout(timer); resolve(); };
      });
      this.wake = null;
    }
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
    if (!this.bridgeCreatedNow || Object.keys(this.state.containers).length > 0) return;
    await runOrThrow(`${assets().sh}/bridge-down`, [this.config.bridge, this.config.subnet]);
    rmSync(join(this.paths.run, 'bridge-created'), { force: true });
  }

  /** Stop the agent only: containers and nginx keep serving. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    for (const t of this.drainTimers.values()) clearTimeout(t);
    this.server?.close();
    this.hold.close();
    this.dashboard?.close();
    this.follower.stop();
    rmSync(this.paths.controlSocket, { force: true });
    rmSync(this.dashboardSocket, { force: true });
    if (readPid(this.paths.agentPid) === process.pid) rmSync(this.paths.agentPid, { force: true });
    this.save();
  }

  /** After an agent restart: pick up containers as the last agent left them. */
  private async reconcile(): Promise<void> {
    for (const c of Object.values(this.state.containers)) {
      if (c.state === 'starting' || c.state === 'checking') {
        // A deploy the previous agent did not finish: start it over.
        await this.discard(c, 'interrupted by an agent restart');
      } else if (c.state === 'draining') {
        this.scheduleDrain(c);
      } else if (c.state === 'online' && !supervisorAlive(this.paths, c.name)) {
        // It ended while no agent watched: say how, and count it like any
        // crash restart (restarts, and uptime from now).
        const code = exitStatus(this.paths, c.name);
        const why = code === null ? 'is not running' : describeExit(code, this.serviceOf(c)?.orders?.env.MEMORY_LIMIT || this.config.memoryLimit);
        this.log('agent', c.servicePath, `${c.name} ${why}; restarting it`);
        const s = this.serviceOf(c);
        if (s && code !== null) s.lastError = `${c.name} ${why}`;
        c.restarts += 1;
        c.lastRestartAt = new Date().toISOString();
        await this.restartContainer(c);
      }
    }
    for (const s of Object.values(this.state.services)) {
      s.deploying = undefined;
      if (s.state !== 'online' && s.state !== 'failed') s.state = s.serving ? 'online' : 'pending';
    }
    this.save();
  }

  // -------------------------------------------------------------------- poll

  pollOnce(): Promise<void> {
    if (!this.pollRunning) {
      this.pollRunning = this.poll()
        .catch((err: Error) => this.log('agent', null, `poll failed: ${err.message}`))
        .finally(() => { this.pollRunning = null; });
    }
    return this.pollRunning;
  }

  private async poll(): Promise<void> {
    await this.pollHeadquarters();
    await this.pollAdmirals();
    await Promise.all(Object.values(this.state.services).map((s) => this.pollService(s)));
    await this.watchSoon();
    await this.watchNginx();
    this.save();
    this.sweepGoneServices();
  }

  /** Slugs, caches, repo and build logs of services gone from the HQ, once their last container went. */
  private sweepGoneServices(): void {
    // Only against an HQ read by this agent: a state that lost its services must not empty the ship.
    if (!this.scannedOnce || this.state.hqError) return;
    const keep = new Set([
      ...Object.values(this.state.services).map((s) => s.id),
      ...Object.values(this.state.containers).map((c) => c.serviceId),
    ]);
    for (const what of sweepServiceFiles(this.paths, keep)) this.log('agent', null, `removed ${what}: its service is gone`);
  }

  private async pollHeadquarters(): Promise<void> {
    const hq = parseGitUrl(this.config.headquarters ?? '');
    let commit: string;
    if (!due(this.fetchRetry.get('hq'), Date.now())) return;
    try {
      commit = await syncRepo(assets().sh, hq, this.paths.hqCache, this.gitEnv());
    } catch (err) {
      // Keep serving the last known orders; try again with backoff.
      const msg = `headquarters ${this.config.headquarters}: ${await this.explainGit(err as Error)}`;
      if (this.state.hqError !== msg) this.log('agent', null, `${msg} (serving the last known orders; retrying with backoff)`);
      this.state.hqError = msg;
      const retry = afterFailure(this.fetchRetry.get('hq'), Date.now(), this.config.pulseSeconds * 1000);
      this.fetchRetry.set('hq', retry);
      this.state.hqRetry = describeRetry(retry);
      return;
    }
    if (this.state.hqError) this.log('agent', null, `headquarters ${this.config.headquarters} reachable again`);
    this.fetchRetry.delete('hq');
    this.state.hqError = undefined;
    this.state.hqRetry = undefined;
    // Orders are read on every HQ change, and once per agent start.
    if (commit === this.state.hqCommit && this.scannedOnce) return;
    this.scannedOnce = true;
    const snapshot = join(this.paths.hqSnapshots, commit);
    if (!existsSync(snapshot)) {
      mkdirSync(this.paths.hqSnapshots, { recursive: true });
      await runOrThrow(`${assets().sh}/git-export`, [this.paths.hqCache, commit, snapshot]);
    }
    if (commit !== this.state.hqCommit) this.log('agent', null, `headquarters at ${commit.slice(0, 12)}`);
    this.state.hqCommit = commit;
    for (const old of readdirSync(this.paths.hqSnapshots)) {
      if (old !== commit) rmSync(join(this.paths.hqSnapshots, old), { recursive: true, force: true });
    }
    const found = scanHeadquarters(snapshot);
    await Promise.all(found.map((f) => this.readServiceOrders(f)));
    const present = new Set(found.map((f) => f.path));
    for (const s of Object.values(this.state.services)) {
      if (!present.has(s.path)) await this.retireService(s);
    }
  }

  private async readServiceOrders(found: FoundService): Promise<void> {
    const now = new Date().toISOString();
    let s = this.state.services[found.path];
    if (!s) {
      s = { path: found.path, id: serviceIdFor(found.path), ordersFile: found.ordersRel, state: 'pending', updatedAt: now };
      this.state.services[found.path] = s;
      this.log('agent', s.path, `new service from ${found.ordersRel}`);
    }
    try {
      const problem = servicePathProblem(found.path);
      if (problem) throw new Error(`the path ${found.path} ${problem}`);
      const orders = await readOrders(found.ordersFile, assets().sh);
      if (s.ordersError) this.log('agent', s.path, `${found.ordersRel} reads cleanly again`);
      s.orders = orders;
      s.ordersError = undefined;
    } catch (err) {
      const msg = `${found.ordersRel}: ${(err as Error).message}`;
      if (s.ordersError !== msg) this.log('agent', s.path, `orders skipped: ${msg}`);
      s.ordersError = msg;
      s.lastError = msg;
      s.fetchRetry = undefined; // nothing is fetched until the orders read again: no "next try at"
      if (!s.serving) s.state = 'failed';
    }
  }

  private async pollService(s: ServiceRecord): Promise<void> {
    const orders = s.orders;
    if (!orders || s.ordersError) return;
    let commit: string;
    // The ref is part of the key: fixing a mistyped branch in the orders is tried at once, not after the backoff.
    const retryKey = `${s.path} ${orders.autodeploy.url}#${orders.autodeploy.ref ?? ''}`;
    if (!due(this.fetchRetry.get(retryKey), Date.now())) return;
    try {
      commit = await syncRepo(assets().sh, orders.autodeploy, this.paths.repo(s.id), this.gitEnv());
    } catch (err) {
      const msg = `${s.ordersFile}: ${await this.explainGit(err as Error)}`;
      if (s.lastError !== msg) this.log('agent', s.path, `${msg}${s.serving ? ' (the serving version keeps serving)' : ''}; retrying with backoff`);
      s.lastError = msg;
      const retry = afterFailure(this.fetchRetry.get(retryKey), Date.now(), this.config.pulseSeconds * 1000);
      this.fetchRetry.set(retryKey, retry);
      s.fetchRetry = describeRetry(retry);
      if (!s.serving) s.state = 'failed';
      return;
    }
    if (this.fetchRetry.delete(retryKey)) {
      this.log('agent', s.path, `${orders.autodeploy.url} reachable again`);
      if (s.lastError?.startsWith(`${s.ordersFile}: `)) s.lastError = undefined;
      if (!s.serving && s.state === 'failed' && !s.failedKey) s.state = 'pending';
    }
    s.fetchRetry = undefined;
    s.commit = commit;
    const key = deployKey(commit, orders.hash, this.secrets.load().rollout);
    const serving = s.serving ? this.state.containers[s.serving] : undefined;
    if (serving && deployKey(serving.commit, serving.ordersHash, serving.secretsVersion) === key) {
      if (s.lastError && !s.ordersError && s.failedKey === undefined) s.lastError = undefined;
      return;
    }
    if (s.deploying === key || s.failedKey === key) return;
    if (s.deploying) return; // one deploy per service at a time; the next poll picks up what changed
    s.deploying = key;
    void this.deploy(s, orders, commit).finally(() => {
      s.deploying = undefined;
      this.save();
    });
  }

  // -------------------------------------------- admirals and git over ssh

  /** Every git process of the ship: the privatize key and known_hosts policy. */
  private gitEnv(): NodeJS.ProcessEnv {
    return gitEnv(this.config.root, this.config.knownHosts);
  }

  private async explainGit(err: Error): Promise<string> {
    if (this.sshKey === undefined) this.sshKey = await privatizedKey(this.config.root);
    return explainGitError(err.message, this.sshKey);
  }

  /** On each HQ change (and once per agent start): admiral user, sudo, keys. */
  private async pollAdmirals(): Promise<void> {
    const commit = this.state.hqCommit;
    if (!commit || commit === this.admiralsCommit) return;
    const snapshot = join(this.paths.hqSnapshots, commit);
    if (!existsSync(snapshot)) return;
    const user = this.config.admiral;
    try {
      const report = await syncAdmirals(assets().sh, user, snapshot, commit, join(this.config.root, 'admiral-managed'));
      const before = this.admirals;
      for (const e of report.errors) if (!before?.errors.includes(e)) this.log('agent', null, `admirals: ${e}`);
      for (const n of report.notes) if (!before?.notes.includes(n)) this.log('agent', null, `admirals: ${n}`);
      const fps = report.keys.map((k) => k.fingerprint).join(' ');
      if (!before || before.keys.map((k) => k.fingerprint).join(' ') !== fps) {
        this.log('agent', null, `admirals: ${report.keys.length} key(s) for user ${user}${fps ? `: ${fps}` : ''}`);
      }
      this.admirals = report;
      this.admiralsCommit = commit;
      this.admiralsError = undefined;
    } catch (err) {
      // Retried next pulse; the keys written last time stay as they are.
      const msg = (err as Error).message;
      if (this.admiralsError !== msg) this.log('agent', null, `admirals: ${msg}`);
      this.admiralsError = msg;
    }
  }

  /** The admirals block of `status --json` and `info`. */
  private admiralsStatus(): Record<string, unknown> {
    return {
      user: this.config.admiral,
      keys: this.admirals?.keys ?? [],
      errors: [...(this.admiralsError ? [this.admiralsError] : []), ...(this.admirals?.errors ?? [])],
      notes: this.admirals?.notes ?? [],
      hqCommit: this.admirals?.hqCommit ?? null,
      syncedAt: this.admirals?.syncedAt ?? null,
    };
  }

  private async privatize(req: ControlRequest): Promise<ControlResponse> {
    if (typeof req.key !== 'string') return { ok: false, error: 'privatize: the request carries no key' };
    const info = await storePrivateKey(this.config.root, req.key);
    this.sshKey = info;
    this.log('agent', null, `privatized: git over ssh uses key ${info.fingerprint}${info.comment ? ` (${info.comment})` : ''}`);
    this.fetchRetry.clear(); // repos that refused the ship may accept it now: poll them at once
    this.wake?.();
    return { ok: true, fingerprint: info.fingerprint, type: info.type, comment: info.comment };
  }

  // ------------------------------------------------------------------ deploy

  private async deploy(s: ServiceRecord, orders: Orders, commit: string): Promise<void> {
    const secretsVersion = this.secrets.load().rollout;
    const key = deployKey(commit, orders.hash, secretsVersion);
    const base = orders.env.STARPHLEET_BASE || this.config.base;
    let container: ContainerRecord | undefined;
    let switchAttempted = false;
    try {
      s.state = 'building';
      s.updatedAt = new Date().toISOString();
      this.save();
      let slug = readSlug(this.paths, s.id, commit);
      // A base not built yet (the first STARPHLEET_BASE=debian service) is
      // built outside the build slot, so other services' builds go on meanwhile.
      if (!slug) await this.baseOnce(base, s.path);
      slug ??= await this.withBuildSlot(() => {
        this.log('build', s.path, `building ${orders.autodeploy.url} at ${commit.slice(0, 12)}`);
        // The build sees the same values as the app: orders exports, then phleet secrets (ENV_DIR, on a tmpfs).
        const buildEnv: Record<string, string | Buffer> = { ...orders.env, ...this.secrets.values(), PORT: String(orders.port) };
        return ensureSlug(this.buildContext(), s.id, commit, base, buildEnv, (line) => this.log('build', s.path, line));
      });

      s.state = 'starting';
      this.state.seq += 1;
      const name = containerNameFor(s.id, commit, this.state.seq);
      const ip = allocateIp(this.subnet, Object.values(this.state.containers).map((c) => c.ip));
      container = {
        name, servicePath: s.path, serviceId: s.id, commit, ordersHash: orders.hash, base, ip, port: orders.port,
        state: 'starting', createdAt: new Date().toISOString(), restarts: 0, secretsVersion,
        repo: `${orders.autodeploy.url}${orders.autodeploy.ref ? `#${orders.autodeploy.ref}` : ''}`,
      };
      this.state.containers[name] = container;
      this.save();
      await prepareAppContainer(this.paths, {
        name, base, slugApp: join(this.paths.slug(s.id, commit), 'app'), web: slug.web,
        env: { ...orders.env, PORT: String(orders.port) },
        net: { bridge: this.config.bridge, ip, prefix: this.subnet.prefix, gateway: this.subnet.gateway, mac: macForIp(ip) },
        memory: orders.env.MEMORY_LIMIT || this.config.memoryLimit, pids: this.config.pidsLimit,
        containerShDir: assets().shContainer, lxcDir: assets().lxc,
      });
      await runOrThrow('ip', ['neigh', 'flush', 'to', ip, 'dev', this.config.bridge]).catch(() => undefined);
      removeContainerLog(this.paths, name); // an old container's, same name (seq restarts after ship down)
      this.follower.follow(name, s.path, true);
      startSupervised(this.paths, this.config.root, name, this.secrets.exportLines());
      this.log('agent', s.path, `started ${name} at ${ip}:${orders.port}`);

      s.state = 'checking';
      container.state = 'checking';
      this.save();
      const snippet = orders.healthcheck ?? (slug.healthcheck ? slug.healthcheck : '/');
      const url = `http://${ip}:${orders.port}${snippet.startsWith('/') ? snippet : `/${snippet}`}`;
      container.healthUrl = url;
      const started = Date.now();
      await waitHealthy(url, {
        timeoutSeconds: orders.healthcheckTimeoutSeconds,
        abort: () => {
          const code = exitStatus(this.paths, name);
          return code === null ? null : `the service ${describeExit(code, orders.env.MEMORY_LIMIT || this.config.memoryLimit)} before it was healthy`;
        },
      });
      this.log('health', s.path, `${name} healthy in ${((Date.now() - started) / 1000).toFixed(2)} s (${url})`);
      this.healthSeen.set(name, { checkedAt: new Date().toISOString(), ok: true, result: `healthy at go-live (${url})` });

      // switch: nginx routes to the new container first; only once the new
      // config is confirmed serving does the ship (and `status`) call it serving.
      const previous = s.serving ? this.state.containers[s.serving] : undefined;
      this.switching.set(s.path, name);
      switchAttempted = true;
      try {
        await this.applyRoutes();
      } finally {
        this.switching.delete(s.path);
      }
      container.state = 'online';
      container.onlineAt = new Date().toISOString();
      s.serving = name;
      s.servingCommit = commit;
      s.state = 'online';
      s.failedKey = undefined;
      s.failedCommit = undefined;
      s.lastError = s.ordersError;
      this.save();
      this.log('agent', s.path, `serving ${name} (${commit.slice(0, 12)})`);
      if (previous && previous.name !== name) this.startDrain(previous);
      const inUse = new Set(Object.values(this.state.containers).filter((x) => x.serviceId === s.id).map((x) => x.commit));
      pruneSlugs(this.paths, s.id, inUse, KEEP_SLUGS);
    } catch (err) {
      let msg = (err as Error).message;
      if (container && !switchAttempted && /ECONNREFUSED/.test(msg)) {
        // Refused: say what the app listens on instead (127.0.0.1, another port).
        const hint = await containerListenHint(this.paths.lxcpath, container.name, container.port).catch(() => null);
        if (hint) msg = `${msg} (${hint})`;
      }
      s.failedKey = key;
      s.failedCommit = commit;
      s.lastError = msg;
      s.state = s.serving ? 'online' : 'failed';
      this.log('agent', s.path, `deploy of ${commit.slice(0, 12)} failed: ${msg}`);
      if (container) {
        if (switchAttempted) {
          // The switch itself failed: make sure nginx routes to what served before.
          await this.applyRoutes().catch(() => undefined);
        }
        container.state = 'failed';
        container.error = msg;
        await stopContainer(this.paths, assets().sh, container.name, 2).catch(() => undefined);
        await this.capFailed(s);
      }
    } finally {
      s.updatedAt = new Date().toISOString();
      this.save();
    }
  }

  private buildContext(): BuildContext {
    return {
      paths: this.paths, shDir: assets().sh, containerShDir: assets().shContainer, lxcDir: assets().lxc, buildpacksDir: assets().buildpacks,
      memory: this.config.memoryLimit, pids: this.config.pidsLimit,
    };
  }

  /** One build of each container base at a time: services that need the same base wait for the same build. */
  private baseOnce(base: string, servicePath: string): Promise<unknown> {
    let building = this.baseBuilds.get(base);
    if (!building) {
      building = ensureBase(this.paths, assets().lxc, base, (l) => this.log('build', servicePath, l))
        .finally(() => this.baseBuilds.delete(base));
      this.baseBuilds.set(base, building);
    }
    return building;
  }

  private async withBuildSlot<T>(fn: () => Promise<T>): Promise<T> {
    if (this.buildSlots === 0) await new Promise<void>((r) => this.buildQueue.push(r));
    else this.buildSlots -= 1;
    try {
      return await fn();
    } finally {
      const next = this.buildQueue.shift();
      if (next) next();
      else this.buildSlots += 1;
    }
  }

  private async capFailed(s: ServiceRecord): Promise<void> {
    const failed = Object.values(this.state.containers)
      .filter((c) => c.serviceId === s.id && c.state === 'failed')
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    for (const c of failed.slice(0, Math.max(0, failed.length - KEEP_FAILED))) await this.discard(c, 'old failed container');
  }

  // ------------------------------------------------------------------- drain

  private startDrain(c: ContainerRecord): void {
    const waitSeconds = Number(this.serviceOf(c)?.orders?.env.STARPHLEET_DRAINSTOP_WAIT ?? this.config.drainSeconds);
    c.state = 'draining';
    c.drainUntil = new Date(Date.now() + (Number.isFinite(waitSeconds) ? waitSeconds : this.config.drainSeconds) * 1000).toISOString();
    this.save();
    this.log('agent', c.servicePath, `draining ${c.name} until ${c.drainUntil}`);
    this.scheduleDrain(c);
  }

  private scheduleDrain(c: ContainerRecord): void {
    const ms = Math.max(0, Date.parse(c.drainUntil ?? '') - Date.now() || 0);
    this.drainTimers.set(c.name, setTimeout(() => {
      this.drainTimers.delete(c.name);
      void this.discard(c, 'drained');
    }, ms));
  }

  private serviceOf(c: ContainerRecord): ServiceRecord | undefined {
    return this.state.services[c.servicePath];
  }

  /** Stop and destroy a container this ship created, and forget it. */
  private async discard(c: ContainerRecord, why: string): Promise<void> {
    const grace = Number(this.serviceOf(c)?.orders?.env.STARPHLEET_STOP_GRACE ?? 10) || 10;
    await stopContainer(this.paths, assets().sh, c.name, grace).catch((e: Error) => this.log('agent', c.servicePath, e.message));
    await destroyContainer(this.paths, assets().sh, c.name).catch((e: Error) => this.log('agent', c.servicePath, e.message));
    rmSync(this.paths.supervisorExit(c.name), { force: true });
    this.follower.unfollow(c.name);
    removeContainerLog(this.paths, c.name);
    this.healthSeen.delete(c.name);
    delete this.state.containers[c.name];
    this.save();
    this.log('agent', c.servicePath, `removed ${c.name} (${why})`);
  }

  private async retireService(s: ServiceRecord): Promise<void> {
    this.log('agent', s.path, 'no longer in the headquarters; removing');
    delete this.state.services[s.path];
    await this.applyRoutes();
    for (const c of Object.values(this.state.containers)) {
      if (c.serviceId !== s.id) continue;
      // The serving container is unrouted now; let its requests finish.
      if (c.state === 'online') this.startDrain(c);
      else if (c.state !== 'draining') await this.discard(c, 'service removed');
    }
  }

  // ------------------------------------------------------- self healing

  private async watchContainers(): Promise<void> {
    const online = Object.values(this.state.containers).filter((c) => c.state === 'online');
    const unhealthy = new Set(await this.pulseHealth(online));
    for (const c of online) {
      const code = exitStatus(this.paths, c.name);
      const exited = code !== null || !supervisorAlive(this.paths, c.name);
      if (!exited && !unhealthy.has(c.name) && !this.restartAt.has(c.name)) continue;
      const due = this.restartAt.get(c.name);
      if (due === undefined) {
        // A container that stayed up for a stable minute starts over at 1 s.
        if (c.lastRestartAt && Date.now() - Date.parse(c.lastRestartAt) > STABLE_MS) c.backoff = 0;
        const delay = Math.min(RESTART_BACKOFF_MAX_MS, 1000 * 2 ** Math.min(c.backoff ?? 0, 6));
        c.backoff = (c.backoff ?? 0) + 1;
        this.restartAt.set(c.name, Date.now() + delay);
        const why = exited ? describeExit(code, this.serviceOf(c)?.orders?.env.MEMORY_LIMIT || this.config.memoryLimit) : `stopped answering its healthcheck (${this.health.get(c.name)?.last ?? ''})`;
        this.log('agent', c.servicePath, `${c.name} ${why}; restarting in ${delay / 1000} s`);
        const s = this.serviceOf(c);
        if (s) s.lastError = `${c.name} ${why}`;
        setTimeout(() => { void this.watchSoon(); }, delay + 10);
      } else if (Date.now() >= due) {
        this.restartAt.delete(c.name);
        c.restarts += 1;
        c.lastRestartAt = new Date().toISOString();
        await this.restartContainer(c);
      }
    }
  }

  /**
   * After go-live the healthcheck keeps running every HEALTHCHECK_PULSE
   * seconds (orders; default 10). HEALTHCHECK_RETRY_COUNT (default 3) failed
   * checks in a row mark the container unhealthy. After a restart, failures
   * count only once it answered again or HEALTHCHECK_TIMEOUT has passed.
   */
  private async pulseHealth(online: ContainerRecord[]): Promise<string[]> {
    const now = Date.now();
    const checks = online.map(async (c): Promise<string | null> => {
      const orders = this.serviceOf(c)?.orders;
      if (!c.healthUrl || !orders) return null;
      const pulseMs = (Number(orders.env.HEALTHCHECK_PULSE ?? 10) || 10) * 1000;
      const retries = Number(orders.env.HEALTHCHECK_RETRY_COUNT ?? 3) || 3;
      const h = this.health.get(c.name) ?? { at: 0, failures: 0, last: '' };
      this.health.set(c.name, h);
      if (now - h.at < pulseMs || this.restartAt.has(c.name)) return null;
      h.at = now;
      const r = await probe(c.healthUrl, 2000);
      this.noteHealth(c, r.ok, describeCheck(c.healthUrl, r));
      const graceUntil = c.lastRestartAt ? Date.parse(c.lastRestartAt) + orders.healthcheckTimeoutSeconds * 1000 : 0;
      if (r.ok) {
        h.failures = 0;
        c.answeredSinceRestart = true;
        return null;
      }
      h.last = describeCheck(c.healthUrl, r);
      if (c.lastRestartAt && !c.answeredSinceRestart && now < graceUntil) return null;
      h.failures += 1;
      if (h.failures < retries) return null;
      h.failures = 0;
      return c.name;
    });
    return (await Promise.all(checks)).filter((n): n is string => n !== null);
  }

  private async restartContainer(c: ContainerRecord): Promise<void> {
    await stopContainer(this.paths, assets().sh, c.name, 1).catch(() => undefined);
    rmSync(this.paths.supervisorExit(c.name), { force: true });
    await runOrThrow('ip', ['neigh', 'flush', 'to', c.ip, 'dev', this.config.bridge]).catch(() => undefined);
    c.answeredSinceRestart = false;
    this.health.delete(c.name);
    startSupervised(this.paths, this.config.root, c.name, this.secretsForRestart(c));
    this.log('agent', c.servicePath, `restarted ${c.name} (restart ${c.restarts})`);
  }

  /** A crash restart gets the current secrets; if they cannot be read, it starts without them and says so. */
  private secretsForRestart(c: ContainerRecord): Buffer {
    try {
      return this.secrets.exportLines();
    } catch (err) {
      this.log('agent', c.servicePath, `phleet secrets unreadable for ${c.name}: ${(err as Error).message}`);
      return Buffer.alloc(0);
    }
  }

  /** Look at the containers now (one look at a time); also run every pulse. */
  private watchSoon(): Promise<void> {
    if (!this.watchRunning) {
      this.watchRunning = this.watchContainers()
        .catch((err: Error) => this.log('agent', null, `watching containers failed: ${err.message}`))
        .finally(() => { this.watchRunning = null; this.save(); });
    }
    return this.watchRunning;
  }

  /**
   * nginx's old workers keep long connections (websockets, SSE) at most this
   * long after a reload: never shorter than the longest drain wait of any
   * service (orders may raise STARPHLEET_DRAINSTOP_WAIT above the ship's).
   */
  private workerShutdownSeconds(): number {
    const waits = Object.values(this.state.services).map((s) => Number(s.orders?.env.STARPHLEET_DRAINSTOP_WAIT ?? this.config.drainSeconds));
    const longest = Math.max(this.config.drainSeconds, ...waits.filter((n) => Number.isFinite(n) && n >= 0));
    return Math.max(40, Math.ceil(longest) + 10);
  }

  /** A request is waiting in the hold: its container did not take the connection. */
  private onHold(serviceId: string): void {
    void this.watchSoon();
    const s = this.serviceById(serviceId);
    const c = s?.serving ? this.state.containers[s.serving] : undefined;
    const last = this.lastHoldFlush.get(serviceId) ?? 0;
    if (c && Date.now() - last > 1000) {
      this.log('agent', c.servicePath, `requests wait in the hold until ${c.name} answers again (no 502)`);
      // A stopped container's neighbour entry makes connects hang until it
      // expires; without it they fail at once and go straight to the hold.
      this.lastHoldFlush.set(serviceId, Date.now());
      void runOrThrow('ip', ['neigh', 'flush', 'to', c.ip, 'dev', this.config.bridge]).catch(() => undefined);
    }
  }

  private serviceById(serviceId: string): ServiceRecord | undefined {
    return Object.values(this.state.services).find((x) => x.id === serviceId);
  }

  /** Until the service's serving container answers its healthcheck (or the deadline). */
  private async waitForService(serviceId: string, deadline: number): Promise<HoldTarget | null> {
    while (Date.now() < deadline && !this.stopping) {
      const s = this.serviceById(serviceId);
      if (!s) return null;
      const c = s.serving ? this.state.containers[s.serving] : undefined;
      if (c?.healthUrl && c.state === 'online' && !this.restartAt.has(c.name) && exitStatus(this.paths, c.name) === null) {
        const r = await probe(c.healthUrl, 1000);
        if (r.ok) return { host: c.ip, port: c.port };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return null;
  }

  private async watchNginx(): Promise<void> {
    if (!nginxRunning(this.paths.nginx)) {
      this.log('agent', null, 'nginx is not running; starting it');
      await this.applyRoutes(true);
    }
  }

  // ------------------------------------------------------------------ switch

  routes(): NginxRoute[] {
    const routes: NginxRoute[] = [];
    for (const s of Object.values(this.state.services)) {
      const name = this.switching.get(s.path) ?? s.serving;
      const c = name ? this.state.containers[name] : undefined;
      if (c) {
        routes.push({
          path: s.path, serviceId: s.id, container: c.name, upstreams: [`${c.ip}:${c.port}`],
          holdSocket: this.hold.socketPath(s.id),
        });
      }
    }
    return routes.sort((a, b) => a.path.localeCompare(b.path));
  }

  /** Render, test, reload and confirm; serialized so generations stay in order. */
  private applyRoutes(startIfNeeded = false): Promise<void> {
    const run = async (): Promise<void> => {
      this.state.nginxGeneration += 1;
      const generation = this.state.nginxGeneration;
      const routes = this.routes();
      await this.hold.ensure(routes.map((r) => r.serviceId));
      const config = renderNginxConfig({
        listenPort: this.config.httpPort,
        prefix: this.paths.nginx,
        controlSocket: this.paths.nginxControlSocket,
        generation,
        routes,
        workerShutdownTimeoutSeconds: this.workerShutdownSeconds(),
        dashboardSocket: this.dashboardSocket,
        listenAddresses: ipv6Available() ? undefined : ['0.0.0.0'],
      }, assets().templates);
      if (startIfNeeded && !nginxRunning(this.paths.nginx)) {
        writeFileSync(this.paths.nginxConf, config);
        await startNginx(this.paths.nginx, this.paths.nginxConf);
      } else {
        await applyNginxConfig(this.paths.nginx, config, generation);
      }
      this.save();
    };
    const next = this.nginxChain.then(run, run);
    this.nginxChain = next.catch(() => undefined);
    return next;
  }

  // ------------------------------------------- logs, status, dashboard (issue 5)

  get dashboardSocket(): string {
    return join(this.paths.run, 'dashboard.sock');
  }

  status(): ShipStatus {
    return statusOf(this.state, this.config, {
      health: (name) => this.healthSeen.get(name),
      memoryBytes: (name) => containerMemoryBytes(name, readPid(this.paths.supervisorPid(name))),
    });
  }

  /** Every pulse check is remembered for status; a change of result (and every failure) goes into the log. */
  private noteHealth(c: ContainerRecord, ok: boolean, result: string): void {
    const before = this.healthSeen.get(c.name);
    this.healthSeen.set(c.name, { checkedAt: new Date().toISOString(), ok, result });
    if (!ok || before?.ok !== ok) this.log('health', c.servicePath, `${c.name}: ${result}`);
  }

  // ----------------------------------------------------------------- control

  private async handle(req: ControlRequest): Promise<ControlResponse> {
    switch (req.cmd) {
      case 'dashboard-login':
        // Only the root-only control socket hands these out.
        return { ok: true, code: this.loginCodes.issue(), httpPort: this.config.httpPort };
      case 'ping':
        return { ok: true, pid: process.pid };
      case 'status': {
        const doc = this.status();
        if (this.sshKey === undefined) this.sshKey = await privatizedKey(this.config.root);
        return {
          ok: true, ...doc,
          ship: { ...doc.ship, admirals: this.admiralsStatus(), sshKey: this.sshKey?.fingerprint ?? null },
        };
      }
      case 'admirals':
        if (this.sshKey === undefined) this.sshKey = await privatizedKey(this.config.root);
        return { ok: true, admirals: this.admiralsStatus(), sshKey: this.sshKey };
      case 'privatize':
        return this.privatize(req);
      case 'logs':
        return logsRequest(this.hub, (path) => path in this.state.services, req);
      case 'log-rings': {
        // For tests and benches: what the rings hold and what the agent weighs
        // (after a full collection when the runtime offers one: bun).
        const bun = (globalThis as { Bun?: { gc(full: boolean): void } }).Bun;
        if (req.gc === true) bun?.gc(true);
        const mem = process.memoryUsage();
        return { ok: true, ringLines: this.hub.ringLines, emitted: this.hub.emitted, rings: this.hub.ringSizes(), rssBytes: mem.rss, heapUsedBytes: mem.heapUsed };
      }
      case 'nudge':
        // A nudge is also how a person says "try the failed version again".
        if (this.pollRunning) await this.pollRunning;
        // Cleared after a running poll ends, so it cannot set them again.
        for (const s of Object.values(this.state.services)) s.failedKey = undefined;
        this.fetchRetry.clear();
        await this.pollOnce();
        return { ok: true };
      default:
        if (SECRET_COMMANDS.has(req.cmd)) {
          return handleSecretsRequest(this.secrets, req, {
            log: (msg) => this.log('agent', null, msg),
            // A change that rolls services: poll now (the deploy key holds the rollout version).
            rollout: () => { void (this.pollRunning ?? Promise.resolve()).then(() => this.pollOnce()); },
          });
        }
        return { ok: false, error: `unknown control command '${String(req.cmd)}'` };
    }
  }
}
