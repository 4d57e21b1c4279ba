// The agent's real I/O edges for the parts that take them as interfaces:
// the per-service pipeline's steps, healing's container operations and the
// hold's view of a service. Tests give the same parts fakes instead.
import { rmSync } from 'node:fs';
import { assets } from '../core/assets.js';
import { runOrThrow } from '../core/sh.js';
import { exitStatus, startSupervised, stopContainer } from '../container/container.js';
import { SupervisorWatch } from '../container/supervisor-watch.js';
import { describeExit } from '../container/exit-reason.js';
import { startFailureCause } from '../container/start-cause.js';
import { syncRepo } from '../git/resolve.js';
import { describeCheck, probe } from '../health/healthcheck.js';
import { readOrders } from '../hq/orders.js';
import type { HoldHooks, HoldTarget } from '../nginx/hold-proxy.js';
import type { Ship } from './ship.js';
import type { HealDeps } from './heal.js';
import type { PipelineSteps } from './service-pipeline.js';
import { deployKey, type ContainerRecord } from './state.js';
import { crashLoop, CRASH_LOOP_WINDOW_MS } from '../notify/events.js';

/** -1: its supervisor is gone without an exit status. */
const GONE = -1;

export function pipelineSteps(agent: Ship): PipelineSteps {
  return {
    // Each read has a cgroup of its own, named for its service, and a private copy of the snapshot.
    readOrders: (s, found, hqCommit) => readOrders(found.ordersFile, assets().sh, `orders-${s.id}-${process.pid}`, {
      snapshot: agent.paths.hqSnapshot(hqCommit), rel: found.ordersRel, scratch: agent.paths.ordersScratch,
    }),
    fetch: (s, target) => syncRepo(assets().sh, target, agent.paths.repo(s.id), agent.admirals.gitEnv(), agent.config.gitTimeoutSeconds),
    explainFetch: (err) => agent.admirals.explainGit(err),
    rolloutVersion: () => agent.rolloutVersion(),
    servingKey: (s) => {
      const c = s.serving ? agent.state().containers[s.serving] : undefined;
      return c ? deployKey(c.commit, c.ordersHash, c.secretsVersion) : undefined;
    },
    deploy: (s, orders, commit, version) => agent.deployer.deploy(s, orders, commit, version),
    log: (s, message) => agent.log('agent', s.path, message),
    save: () => agent.save(),
    pulseMs: () => agent.config.pulseSeconds * 1000,
  };
}

function memoryLimit(agent: Ship, c: ContainerRecord): string {
  return agent.serviceOf(c)?.orders?.env.MEMORY_LIMIT || agent.config.memoryLimit;
}

export function healDeps(agent: Ship): HealDeps {
  // Each container's recent restart times: a crash loop is told once per window.
  const restartTimes = new Map<string, number[]>();
  const supervisors = new SupervisorWatch((name) => agent.paths.supervisorPid(name));
  return {
    serving: () => {
      const list = Object.values(agent.state().containers).filter((c) => c.state === 'online' || c.state === 'restarting');
      supervisors.keepOnly(list.map((c) => c.name));
      return list;
    },
    // A running supervisor is the one check a tick makes; it writes the exit status just before it ends.
    exited: (c) => (supervisors.alive(c.name) ? null : exitStatus(agent.paths, c.name) ?? GONE),
    probe: (c, timeoutMs) => (c.healthUrl ? probe(c.healthUrl, timeoutMs, c.healthRule ?? '200') : Promise.resolve({ ok: true })),
    describeProbe: (c, r) => describeCheck(c.healthUrl ?? '', r),
    describeExit: (c, code) => {
      if (code === GONE) return 'is not running';
      const why = startFailureCause(agent.paths.containerLog(c.name));
      return `${describeExit(code, memoryLimit(agent, c))}${why ? `: ${why}` : ''}`;
    },
    restart: async (c) => {
      const now = Date.now();
      const times = [...(restartTimes.get(c.name) ?? []), now].filter((t) => now - t <= CRASH_LOOP_WINDOW_MS);
      restartTimes.set(c.name, times);
      if (crashLoop(times, now)) agent.notify('crash.loop', { service: c.servicePath, commit: c.commit, cause: `${c.name} restarted ${times.length} times in ${CRASH_LOOP_WINDOW_MS / 60_000} min: ${c.crash ?? 'it exits'}` });
      // Read before anything stops: a set that cannot be read starts nothing without it.
      const secrets = agent.secretLines();
      await stopContainer(agent.paths, assets().sh, c.name, 1).catch(() => undefined);
      rmSync(agent.paths.supervisorExit(c.name), { force: true });
      await runOrThrow('ip', ['neigh', 'flush', 'to', c.ip, 'dev', agent.config.bridge]).catch(() => undefined);
      startSupervised(agent.paths, assets(), c.name, secrets);
    },
    settings: (c) => {
      const orders = agent.serviceOf(c)?.orders;
      if (!orders) return undefined;
      return {
        pulseMs: (Number(orders.env.HEALTHCHECK_PULSE ?? 10) || 10) * 1000,
        retries: Number(orders.env.HEALTHCHECK_RETRY_COUNT ?? 3) || 3,
        timeoutMs: orders.healthcheckTimeoutSeconds * 1000,
      };
    },
    noteHealth: (c, ok, result) => {
      const before = agent.healthSeen.get(c.name);
      agent.healthSeen.set(c.name, { checkedAt: new Date().toISOString(), ok, result });
      if (!ok || before?.ok !== ok) agent.log('health', c.servicePath, `${c.name}: ${result}`);
    },
    report: (c, message, isError) => {
      agent.log('agent', c.servicePath, message);
      // The container's own trouble: status shows it while it restarts and for a healthy minute after.
      if (isError) c.crash = message.replace(/; (restarting|trying again) in [\d.]+ s$/, '');
      if (isError && message.includes('stopped answering its healthcheck')) agent.notify('health.failing', { service: c.servicePath, commit: c.commit, cause: c.crash });
    },
    save: () => agent.save(),
  };
}

export function holdHooks(agent: Ship): HoldHooks {
  const lastFlush = new Map<string, number>();
  return {
    budgetMs: (id) => (agent.serviceById(id)?.orders?.healthcheckTimeoutSeconds ?? 60) * 1000,
    /** Until the service's serving container answers its healthcheck (or the deadline). */
    waitForService: async (id, deadline): Promise<HoldTarget | null> => {
      while (Date.now() < deadline && !agent.stopping()) {
        const s = agent.serviceById(id);
        if (!s) return null;
        const c = s.serving ? agent.state().containers[s.serving] : undefined;
        const up = c && (c.state === 'online' || c.state === 'restarting') && agent.healer.runningAgain(c) && exitStatus(agent.paths, c.name) === null;
        if (c?.healthUrl && up) {
          const r = await probe(c.healthUrl, 1000, c.healthRule ?? '200');
          if (r.ok) {
            agent.healer.answered(c);
            return { host: c.ip, port: c.port };
          }
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      return null;
    },
    /** A request waits: its container did not take the connection. */
    onHold: (id) => {
      agent.healer.soon();
      const s = agent.serviceById(id);
      const c = s?.serving ? agent.state().containers[s.serving] : undefined;
      if (c && Date.now() - (lastFlush.get(id) ?? 0) > 1000) {
        agent.log('agent', c.servicePath, `requests wait in the hold until ${c.name} answers again (no 502)`);
        // A stopped container's neighbour entry makes connects hang until it
        // expires; without it they fail at once and go straight to the hold.
        lastFlush.set(id, Date.now());
        void runOrThrow('ip', ['neigh', 'flush', 'to', c.ip, 'dev', agent.config.bridge]).catch(() => undefined);
      }
    },
  };
}
