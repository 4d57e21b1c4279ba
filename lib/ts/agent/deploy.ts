// One version from slug to serving: build (or reuse) the slug, start its
// container, wait for its healthcheck, switch nginx, drain the old one. Every
// state change of the version goes through the transition table. A failure
// leaves what serves untouched and says why in the service's error.
import { join } from 'node:path';
import { assets } from '../core/assets.js';
import { runOrThrow } from '../core/sh.js';
import { containerNameFor } from '../core/service-names.js';
import { ensureSlug, NeedsBase, pruneSlugs, readSlug, slugKey, type BuildContext, type SlugMeta } from '../build/build.js';
import { appBaseOf } from '../hq/orders.js';
import { ensureDefaultNode } from '../build/node-runtime.js';
import { syncRepo } from '../git/resolve.js';
import { createHash } from 'node:crypto';
import { containerRunning, ensureBase, exitStatus, prepareAppContainer, startSupervised, stopContainer } from '../container/container.js';
import { describeExit } from '../container/exit-reason.js';
import { startFailureCause } from '../container/start-cause.js';
import { allocateIp, buildIp, macForIp } from '../container/network.js';
import { waitHealthy } from '../health/healthcheck.js';
import { containerListenHint } from '../health/listen-hint.js';
import { stripsPrefix, type Orders } from '../hq/orders.js';
import { removeContainerLog } from '../logs/container-logs.js';
import type { AgentContext } from './context.js';
import type { PendingVersion } from './service-pipeline.js';
import type { ContainerRecord, ServiceRecord } from './state.js';
import { advance } from './version-states.js';
import { parseProcessCounts, planInstances, typeOf, unknownTypes } from '../process/process-plan.js';
import { releaseMembers } from '../process/members.js';
import { openRelease, settleFailed, settleLive, type ReleaseRecord } from '../process/releases.js';

/** Failed containers kept for inspection, per service. */
const KEEP_FAILED = 4;
/** How long a release phase may run (orders STARPHLEET_RELEASE_TIMEOUT). */
const RELEASE_TIMEOUT_SECONDS = 300;

/** What every container of one release shares. */
interface Made {
  key: string;
  slug: SlugMeta;
  base: string;
  secretLines: Buffer;
  release: number;
  secretsVersion: number;
}
/** After a check of the default Node.js, the next one waits this long. */
const NODE_RECHECK_MS = 10 * 60 * 1000;
/** Built slugs kept per service besides the ones containers use. */
const KEEP_SLUGS = Number(process.env.STARPHLEET_KEEP_SLUGS ?? 5) || 5;

export class Deployer {
  private readonly baseBuilds = new Map<string, Promise<unknown>>();
  private nodeCheck: Promise<unknown> | null = null;
  private nodeCheckedAt = 0;
  /** Free build slots; slot k builds at buildIp(subnet, k). */
  private readonly freeSlots: number[];
  private readonly waiting: Array<(slot: number) => void> = [];
  readonly buildSlots: number;

  /** gitEnv: what git runs with (the privatize key), for packs fetched by URL. */
  constructor(private readonly ctx: AgentContext, buildSlots: number, private readonly gitEnv: () => NodeJS.ProcessEnv = () => process.env) {
    // At most half the subnet's hosts build; the rest serve.
    const hosts = 2 ** (32 - ctx.subnet.prefix) - 3;
    this.buildSlots = Math.max(1, Math.min(buildSlots, Math.floor(hosts / 2)));
    this.freeSlots = Array.from({ length: this.buildSlots }, (_, i) => i);
  }

  async deploy(s: ServiceRecord, orders: Orders, commit: string, version: PendingVersion): Promise<void> {
    const ctx = this.ctx;
    const state = ctx.state();
    const secretsVersion = ctx.secrets.load().rollout;
    // The orders may choose the base; else the ship's, or the Debian base
    // when the pack's runtime is not in the ship's (the build says so).
    const chosen = orders.env.STARPHLEET_BASE || undefined;
    let base = chosen ?? ctx.config.base;
    let container: ContainerRecord | undefined;   // the release's lead: web.1, else its first process
    const started: ContainerRecord[] = [];          // every container of this release made so far
    let release: ReleaseRecord | undefined;
    let switchAttempted = false;
    try {
      s.updatedAt = new Date().toISOString();
      // APP_BASE (orders, checked when read): the repo folder built and run.
      const appBase = appBaseOf(orders.env) ?? '';
      const key = slugKey(commit, appBase, (orders.env.BUILDPACK_URL ?? '').trim());
      let slug = readSlug(ctx.paths, s.id, key);
      // A base not built yet (the first STARPHLEET_BASE=debian service) is
      // built outside the build slots, so other services' builds go on meanwhile.
      if (!slug) await this.baseOnce(base, s.path);
      // The default Node.js (newest LTS, from the npm registry): current before any build.
      if (!slug) await this.defaultNodeOnce(s.path);
      const build = (on: string): Promise<SlugMeta> => this.withBuildSlot((slot) => {
        advance(version, 'build');
        ctx.log('build', s.path, `building ${orders.autodeploy.url} at ${commit.slice(0, 12)} on the ${on} base`);
        // The build sees the same values as the app: orders exports, then phleet secrets (ENV_DIR, on a tmpfs).
        const buildEnv: Record<string, string | Buffer> = { ...orders.env, ...ctx.secrets.values(), PORT: String(orders.port) };
        return ensureSlug(this.buildContext(slot), s.id, commit, on, buildEnv, (line) => ctx.log('build', s.path, line), appBase);
      });
      if (!slug) {
        try {
          slug = await build(base);
        } catch (err) {
          if (!(err instanceof NeedsBase) || chosen !== undefined) throw err;
          // Built once on demand, outside the build slots (other builds go on).
          ctx.log('build', s.path, `${err.why}: building it on the ${err.base} base`);
          advance(version, 'requeue');
          await this.baseOnce(err.base, s.path);
          slug = await build(err.base);
        }
      }
      base = slug.base ?? base;
      // The secrets are read before any container exists: none readable, no start.
      const secretLines = ctx.secretLines();
      const types = slug.processes ?? { web: slug.web };
      const counts = parseProcessCounts(orders.env.PROCESSES);
      const plan = planInstances(types, counts);
      const unknown = unknownTypes(types, counts);
      if (unknown.length > 0) ctx.log('agent', s.path, `PROCESSES names ${unknown.join(', ')}: the slug has no such process type (it has ${Object.keys(types).join(', ')})`);
      if (plan.length === 0) throw new Error(`PROCESSES runs nothing: every process type (${Object.keys(types).join(', ')}) is 0`);
      s.releases ??= [];
      release = openRelease(s.releases, { commit, ordersHash: orders.hash, secretsVersion }, new Date());
      const made: Made = { key, slug, base, secretLines, release: release.number, secretsVersion };

      // The release phase: once, in a container of its own, before any process of the release starts.
      if (slug.releaseCommand) {
        const phase = await this.startInstance(s, orders, commit, version, made, { label: 'release', command: slug.releaseCommand });
        started.push(phase);
        version.container = phase.name; // status: the version is that container's state meanwhile
        await this.releasePhase(s, orders, phase);
        started.splice(started.indexOf(phase), 1);
        await ctx.discard(phase, 'release phase done');
      }
      for (const p of plan) {
        const c = await this.startInstance(s, orders, commit, version, made, { label: p.label, command: p.command });
        started.push(c);
        if (!container) {
          container = c;
          version.container = c.name;
        }
      }
      const lead = container;
      if (!lead) throw new Error('no process started');
      version.container = lead.name;
      // Every web instance answers its healthcheck before any of them is routed.
      await Promise.all(started.filter((c) => typeOf(c.process) === 'web').map((c) => this.waitInstanceHealthy(s, orders, slug as SlugMeta, c)));

      // switch: nginx routes to the new release first; only once the new
      // config is confirmed serving does the ship (and `status`) call it serving.
      const previous = s.serving ? state.containers[s.serving] : undefined;
      const previousMembers = previous ? releaseMembers(state, previous) : [];
      ctx.switching.set(s.path, lead.name);
      switchAttempted = true;
      try {
        await ctx.applyRoutes();
      } finally {
        ctx.switching.delete(s.path);
      }
      for (const c of started) {
        advance(c, 'live');
        c.onlineAt = new Date().toISOString();
      }
      s.serving = lead.name;
      s.servingCommit = commit;
      s.failedKey = undefined;
      s.failedCommit = undefined;
      s.lastError = s.ordersError;
      settleLive(s.releases, release.number);
      ctx.save();
      ctx.log('agent', s.path, `serving release ${release.number}: ${started.map((c) => `${c.process} ${c.name}`).join(', ')} (${commit.slice(0, 12)})`);
      ctx.notify('deploy.live', { service: s.path, commit, cause: `release ${release.number}` });
      for (const old of previousMembers) {
        if (old.name !== lead.name && (old.state === 'online' || old.state === 'restarting')) ctx.startDrain(old);
      }
      const inUse = new Set(Object.values(state.containers).filter((x) => x.serviceId === s.id).map((x) => x.slugKey ?? x.commit));
      pruneSlugs(ctx.paths, s.id, inUse, KEEP_SLUGS);
    } catch (err) {
      let msg = (err as Error).message;
      const web = started.find((c) => typeOf(c.process) === 'web');
      if (web && !switchAttempted && /ECONNREFUSED/.test(msg) && !msg.startsWith('healthcheck refused:')) {
        // Refused: say what the app listens on instead (127.0.0.1, another port).
        const hint = await containerListenHint(ctx.paths.lxcpath, web.name, web.port).catch(() => null);
        if (hint) msg = `${msg} (${hint})`;
      }
      s.failedKey = version.key;
      s.failedCommit = commit;
      s.lastError = msg;
      if (release && s.releases) settleFailed(s.releases, release.number, msg);
      ctx.log('agent', s.path, `deploy of ${commit.slice(0, 12)} failed: ${msg}`);
      ctx.notify('deploy.failed', { service: s.path, commit, cause: msg });
      if (started.length === 0) {
        if (version.state !== 'failed') advance(version, 'fail');
      } else {
        if (switchAttempted) {
          // The switch itself failed: make sure nginx routes to what served before.
          await ctx.applyRoutes().catch(() => undefined);
        }
        for (const c of started) {
          advance(c, 'fail');
          c.error = msg;
        }
        await Promise.all(started.map((c) => stopContainer(ctx.paths, assets().sh, c.name, 2).catch(() => undefined)));
        await this.capFailed(s);
      }
    } finally {
      s.updatedAt = new Date().toISOString();
      ctx.save();
    }
  }

  /** One process instance (or the release phase) of a release: its own container, address and log, started. */
  private async startInstance(s: ServiceRecord, orders: Orders, commit: string, version: PendingVersion, made: Made, p: { label: string; command: string }): Promise<ContainerRecord> {
    const ctx = this.ctx;
    const state = ctx.state();
    state.seq += 1;
    const name = containerNameFor(s.id, commit, state.seq);
    const ip = allocateIp(ctx.subnet, Object.values(state.containers).map((c) => c.ip), this.buildSlots);
    const c: ContainerRecord = {
      name, servicePath: s.path, serviceId: s.id, commit, ...(made.key !== commit ? { slugKey: made.key } : {}), ...(made.slug.warning ? { warning: made.slug.warning } : {}),
      ordersHash: orders.hash, base: made.base, ip, port: orders.port,
      // Every record starts where the version is (queued or building) and takes the same moves.
      state: version.state === 'queued' || version.state === 'building' ? version.state : 'queued', createdAt: new Date().toISOString(), restarts: 0, secretsVersion: made.secretsVersion,
      repo: `${orders.autodeploy.url}${orders.autodeploy.ref ? `#${orders.autodeploy.ref}` : ''}`,
      process: p.label, release: made.release,
    };
    advance(c, 'built');
    state.containers[name] = c;
    ctx.save();
    await prepareAppContainer(ctx.paths, {
      name, base: made.base, slugApp: join(ctx.paths.slug(s.id, made.key), 'app'), web: p.command,
      // DYNO as on Heroku: which instance this is ("worker.2").
      env: { ...orders.env, PORT: String(orders.port), DYNO: p.label, STARPHLEET_PROCESS: p.label },
      net: {
        bridge: ctx.config.bridge, ip, prefix: ctx.subnet.prefix, gateway: ctx.subnet.gateway, mac: macForIp(ip),
        upScript: ctx.config.containerTraffic === 'isolated' ? `${assets().sh}/veth-isolate` : undefined,
      },
      memory: orders.env.MEMORY_LIMIT || ctx.config.memoryLimit, pids: ctx.config.pidsLimit,
      containerShDir: assets().shContainer, lxcDir: assets().lxc, ids: ctx.containerIds,
    });
    await runOrThrow('ip', ['neigh', 'flush', 'to', ip, 'dev', ctx.config.bridge]).catch(() => undefined);
    removeContainerLog(ctx.paths, name); // an old container's, same name (seq restarts after ship down)
    ctx.follower.follow(name, s.path, true, p.label);
    startSupervised(ctx.paths, assets(), name, made.secretLines);
    ctx.log('agent', s.path, `started ${p.label} ${name} at ${ip}${typeOf(p.label) === 'web' ? `:${orders.port}` : ''}`);
    advance(c, 'started');
    ctx.save();
    return c;
  }

  /**
   * `starphleet run`: a fresh container of the serving release that idles
   * (unrouted, not healed) until the caller's command, run in it with
   * lxc-attach, is done; removed then, or at its deadline whatever happens
   * to the caller.
   */
  async startOneOff(s: ServiceRecord, limitSeconds: number): Promise<ContainerRecord> {
    const ctx = this.ctx;
    const lead = s.serving ? ctx.state().containers[s.serving] : undefined;
    if (!lead || !s.orders) throw new Error(`${s.path} has no serving release to run a command in`);
    const key = lead.slugKey ?? lead.commit;
    const slug = readSlug(ctx.paths, s.id, key);
    if (!slug) throw new Error(`${s.path}: the serving release's slug is gone`);
    const made: Made = { key, slug, base: lead.base, secretLines: ctx.secretLines(), release: lead.release ?? 0, secretsVersion: lead.secretsVersion ?? 0 };
    const label = `run.${ctx.state().seq + 1}`;
    const c = await this.startInstance(s, s.orders, lead.commit, { key: '', commit: lead.commit, state: 'queued' }, made, { label, command: `exec sleep ${limitSeconds}` });
    const timer = setTimeout(() => { if (ctx.state().containers[c.name]) void ctx.discard(c, 'one-off run reached its deadline'); }, limitSeconds * 1000);
    timer.unref();
    const deadline = Date.now() + 30_000;
    while (!(await containerRunning(ctx.paths.lxcpath, c.name))) {
      if (exitStatus(ctx.paths, c.name) !== null || Date.now() > deadline) {
        await ctx.discard(c, 'one-off run did not start');
        throw new Error(`the one-off container ${c.name} did not start`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return c;
  }

  /** The release phase's container runs to its end: exit 0 or the release does not go live. */
  private async releasePhase(s: ServiceRecord, orders: Orders, c: ContainerRecord): Promise<void> {
    const ctx = this.ctx;
    const limit = Number(orders.env.STARPHLEET_RELEASE_TIMEOUT ?? RELEASE_TIMEOUT_SECONDS) || RELEASE_TIMEOUT_SECONDS;
    const deadline = Date.now() + limit * 1000;
    let code = exitStatus(ctx.paths, c.name);
    while (code === null && Date.now() < deadline && !ctx.stopping()) {
      await new Promise((r) => setTimeout(r, 200));
      code = exitStatus(ctx.paths, c.name);
    }
    if (code === null) {
      await stopContainer(ctx.paths, assets().sh, c.name, 2).catch(() => undefined);
      throw new Error(`release phase ran longer than ${limit} s (STARPHLEET_RELEASE_TIMEOUT); it was stopped`);
    }
    ctx.follower.poll();
    if (code !== 0) {
      const why = startFailureCause(ctx.paths.containerLog(c.name), { orLast: true });
      throw new Error(`release phase (${c.name}) ${describeExit(code, orders.env.MEMORY_LIMIT || ctx.config.memoryLimit)}${why ? `: ${why}` : ''}`);
    }
    ctx.log('agent', s.path, `release phase of ${c.commit.slice(0, 12)} done (${c.name})`);
  }

  /** A web instance answers its healthcheck (a configured one with 200, else anything below 500). */
  private async waitInstanceHealthy(s: ServiceRecord, orders: Orders, slug: SlugMeta, c: ContainerRecord): Promise<void> {
    const ctx = this.ctx;
    // With STRIP_PREFIX=false the app serves under its path.
    const configured = orders.healthcheck ?? (slug.healthcheck ? slug.healthcheck : undefined);
    const snippet = configured ?? (stripsPrefix(orders.env) ? '/' : s.path);
    const url = `http://${c.ip}:${orders.port}${snippet.startsWith('/') ? snippet : `/${snippet}`}`;
    c.healthUrl = url;
    c.healthRule = configured === undefined ? 'below-500' : '200';
    const started = Date.now();
    await waitHealthy(url, {
      timeoutSeconds: orders.healthcheckTimeoutSeconds,
      rule: c.healthRule,
      // An app on 127.0.0.1 or on another port fails in seconds, not at the deadline.
      misplaced: () => containerListenHint(ctx.paths.lxcpath, c.name, orders.port, true),
      abort: () => {
        const code = exitStatus(ctx.paths, c.name);
        if (code === null) return null;
        const why = startFailureCause(ctx.paths.containerLog(c.name));
        return `the service ${describeExit(code, orders.env.MEMORY_LIMIT || ctx.config.memoryLimit)} before it was healthy${why ? `: ${why}` : ''}`;
      },
    });
    ctx.log('health', s.path, `${c.name} healthy in ${((Date.now() - started) / 1000).toFixed(2)} s (${url})`);
    ctx.healthSeen.set(c.name, { checkedAt: new Date().toISOString(), ok: true, result: `healthy at go-live (${url})` });
  }

  private buildContext(slot: number): BuildContext {
    const ctx = this.ctx;
    const ip = buildIp(ctx.subnet, slot);
    return {
      paths: ctx.paths, shDir: assets().sh, containerShDir: assets().shContainer, lxcDir: assets().lxc, buildpacksDir: assets().buildpacks,
      memory: ctx.config.memoryLimit, pids: ctx.config.pidsLimit, timeoutSeconds: ctx.config.buildTimeoutSeconds,
      ids: ctx.containerIds,
      net: {
        bridge: ctx.config.bridge, ip, prefix: ctx.subnet.prefix, gateway: ctx.subnet.gateway, mac: macForIp(ip),
        upScript: `${assets().sh}/veth-isolate`,
      },
      subnet: ctx.config.subnet,
      // A pack named by URL: a bare repo of its own in the repo cache, as a service's.
      fetchPack: async (target) => {
        const cache = join(ctx.paths.repos, `buildpack-${createHash('sha256').update(target.url).digest('hex').slice(0, 16)}.git`);
        return { cache, commit: await syncRepo(assets().sh, target, cache, this.gitEnv(), ctx.config.gitTimeoutSeconds) };
      },
    };
  }

  /**
   * One check of the default Node.js at a time (node-runtime.ts: at most one
   * registry call a day); after a check, none for 10 min (a ship without the
   * registry does not pay for it at every build). The agent starts one at start.
   */
  defaultNodeOnce(servicePath: string | null): Promise<unknown> {
    if (!this.nodeCheck && Date.now() - this.nodeCheckedAt < NODE_RECHECK_MS) return Promise.resolve();
    this.nodeCheck ??= ensureDefaultNode(this.ctx.paths, assets().sh, (l) => this.ctx.log(servicePath ? 'build' : 'agent', servicePath, l))
      .finally(() => { this.nodeCheck = null; this.nodeCheckedAt = Date.now(); });
    return this.nodeCheck;
  }

  /** One build of each container base at a time: services that need the same base wait for the same build. */
  private baseOnce(base: string, servicePath: string): Promise<unknown> {
    let building = this.baseBuilds.get(base);
    if (!building) {
      building = ensureBase(this.ctx.paths, assets().lxc, base, this.ctx.containerIds, (l) => this.ctx.log('build', servicePath, l))
        .finally(() => this.baseBuilds.delete(base));
      this.baseBuilds.set(base, building);
    }
    return building;
  }

  private async withBuildSlot<T>(fn: (slot: number) => Promise<T>): Promise<T> {
    const free = this.freeSlots.shift();
    const slot = free ?? await new Promise<number>((r) => this.waiting.push(r));
    try {
      return await fn(slot);
    } finally {
      const next = this.waiting.shift();
      if (next) next(slot);
      else this.freeSlots.push(slot);
    }
  }

  private async capFailed(s: ServiceRecord): Promise<void> {
    const failed = Object.values(this.ctx.state().containers)
      .filter((c) => c.serviceId === s.id && c.state === 'failed')
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    for (const c of failed.slice(0, Math.max(0, failed.length - KEEP_FAILED))) await this.ctx.discard(c, 'old failed container');
  }
}
