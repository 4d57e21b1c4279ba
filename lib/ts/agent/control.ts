// The agent's answers on the control socket (root only). `nudge` returns at
// once: it kicks the HQ and every pipeline and waits for none of them,
// unless asked to (`"wait": SECONDS`, bounded), and then only for the polls
// (HQ read, orders, fetch), never for a build.
import { readFileSync } from 'node:fs';
import { newestBuildLog } from '../logs/build-log.js';
import { logsRequest } from '../logs/control.js';
import type { ControlRequest, ControlResponse } from '../phleet/transport.js';
import { handleSecretsRequest, SECRET_COMMANDS } from '../secrets/control.js';
import { CERT_COMMANDS, handleCertRequest } from '../tls/cert-control.js';
import { ensureTlsTmpfs } from '../tls/cert-store.js';
import type { Ship } from './ship.js';
import { releasesOf } from '../process/releases-view.js';

const MAX_NUDGE_WAIT_S = 120;
/** A one-off run's container lives at most this long (its command is cut then). */
const DEFAULT_RUN_S = 3600;
const MAX_RUN_S = 86_400;

export class Controller {
  constructor(private readonly agent: Ship) {}

  async handle(req: ControlRequest): Promise<ControlResponse> {
    const agent = this.agent;
    switch (req.cmd) {
      case 'dashboard-login':
        // Only the root-only control socket hands these out.
        return { ok: true, code: agent.loginCodes.issue(), httpPort: agent.config.httpPort };
      case 'ping':
        return { ok: true, pid: process.pid };
      case 'status': {
        const doc = agent.status();
        const key = await agent.admirals.sshKey();
        return { ok: true, ...doc, ship: { ...doc.ship, admirals: agent.admirals.status(), sshKey: key?.fingerprint ?? null } };
      }
      case 'admirals':
        return { ok: true, admirals: agent.admirals.status(), sshKey: await agent.admirals.sshKey() };
      case 'privatize': {
        if (typeof req.key !== 'string') return { ok: false, error: 'privatize: the request carries no key' };
        const info = await agent.admirals.privatize(req.key);
        // Repos that refused the ship may accept it now: poll them at once.
        this.forgiveAll();
        agent.wakeUp();
        return { ok: true, fingerprint: info.fingerprint, type: info.type, comment: info.comment };
      }
      case 'logs':
        return logsRequest(agent.hub, (path) => path in agent.state().services, req);
      case 'log-rings': {
        // For tests and benches: what the rings hold and what the agent weighs
        // (after a full collection when the runtime offers one: bun).
        const bun = (globalThis as { Bun?: { gc(full: boolean): void } }).Bun;
        if (req.gc === true) bun?.gc(true);
        const mem = process.memoryUsage();
        return {
          ok: true, ringLines: agent.hub.ringLines, ringBytes: agent.hub.ringBytes(), emitted: agent.hub.emitted, rings: agent.hub.ringSizes(),
          rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, ...await memoryDetail(req.types === true), nginxApply: agent.lastNginxApply(),
          memoryTrim: agent.lastTrim(),
        };
      }
      case 'nudge':
        return this.nudge(req);
      case 'run-start': {
        // `starphleet run`: a one-off container of the serving release (the CLI attaches the command).
        const s = typeof req.path === 'string' ? agent.state().services[req.path] : undefined;
        if (!s) return { ok: false, error: `no service at ${String(req.path)} on this ship` };
        const limit = Math.min(MAX_RUN_S, Math.max(10, Number(req.limit ?? DEFAULT_RUN_S) || DEFAULT_RUN_S));
        const c = await agent.deployer.startOneOff(s, limit);
        return { ok: true, container: c.name, process: c.process };
      }
      case 'run-end': {
        const c = typeof req.container === 'string' ? agent.state().containers[req.container] : undefined;
        if (!c || !c.process?.startsWith('run.')) return { ok: false, error: `no one-off container ${String(req.container)} on this ship` };
        await agent.discard(c, 'one-off run done');
        return { ok: true };
      }
      case 'metrics':
        // The open streams as they are now, not as of the last point.
        await agent.refreshStreams();
        return { ok: true, services: agent.metricsView(req.points === true) };
      case 'releases': {
        const path = typeof req.path === 'string' ? req.path : undefined;
        if (path !== undefined && !(path in agent.state().services)) return { ok: false, error: `no service at ${path} on this ship` };
        return { ok: true, services: releasesOf(agent.state(), path) };
      }
      case 'build-log': {
        const s = typeof req.path === 'string' ? agent.state().services[req.path] : undefined;
        if (!s) return { ok: false, error: `no service at ${String(req.path)} on this ship` };
        const log = newestBuildLog(agent.paths, s.id);
        if (!log) return { ok: false, error: `${s.path} has no build log on this ship (nothing built yet, or its slug was reused)` };
        return { ok: true, file: log.file, text: log.text };
      }
      case 'cert-renew': {
        const domain = typeof req.domain === 'string' ? req.domain.toLowerCase() : '';
        await agent.certKeeper.renew(domain);
        const c = agent.certKeeper.status().find((x) => x.domain === domain);
        return { ok: true, domain, notAfter: c?.notAfter ?? null };
      }
      default:
        if (CERT_COMMANDS.has(req.cmd)) {
          return handleCertRequest({
            store: agent.certs,
            shipFingerprint: () => agent.secrets.fingerprint(),
            signedByAdmiral: (m) => agent.secrets.signedByAdmiral(m),
            prepare: () => ensureTlsTmpfs(agent.paths),
            changed: async () => { await agent.applyRoutes(); agent.certKeeper.kick(); },
            log: (line) => agent.log('agent', null, line),
          }, req);
        }
        if (SECRET_COMMANDS.has(req.cmd)) {
          return handleSecretsRequest(agent.secrets, req, {
            log: (msg) => agent.log('agent', null, msg),
            // A change that rolls services: poll now (the deploy key holds the rollout version).
            rollout: () => { agent.wakeUp(); },
          });
        }
        return { ok: false, error: `unknown control command '${String(req.cmd)}'` };
    }
  }

  /** A nudge is also how a person says "try the failed version again". */
  private forgiveAll(): void {
    this.agent.hq.forgive();
    for (const p of this.agent.services.pipelines.values()) p.forgive();
  }

  private async nudge(req: ControlRequest): Promise<ControlResponse> {
    const agent = this.agent;
    this.forgiveAll();
    const hq = agent.pulse();
    const wait = typeof req.wait === 'number' ? Math.min(MAX_NUDGE_WAIT_S, Math.max(0, req.wait)) : 0;
    if (wait === 0) return { ok: true, waited: false };
    const deadline = Date.now() + wait * 1000;
    const until = (p: Promise<unknown>): Promise<boolean> => Promise.race([
      p.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), Math.max(0, deadline - Date.now()))),
    ]);
    // The HQ read (which kicks the pipelines of what changed), then each
    // pipeline's polls: done once it reached a deploy or went idle.
    let done = await until(hq);
    for (const p of agent.services.pipelines.values()) {
      if (!done) break;
      done = await until(p.polled());
    }
    return { ok: true, waited: true, done };
  }
}

/** Resident memory split into anonymous and file-backed, and (bun, when asked) the heap's commonest object types. */
async function memoryDetail(types: boolean): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    for (const [key, name] of [['RssAnon', 'rssAnonBytes'], ['RssFile', 'rssFileBytes']] as const) {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
      if (m) out[name] = Number(m[1]) * 1024;
    }
  } catch { /* not Linux */ }
  out.usage = process.memoryUsage();
  if (types && (globalThis as { Bun?: unknown }).Bun) {
    const jsc = await import('bun:jsc' as string) as {
      heapStats(): { heapSize: number; extraMemorySize: number; objectCount: number; objectTypeCounts: Record<string, number> };
      memoryUsage(): Record<string, number>;
    };
    const stats = jsc.heapStats();
    out.heap = {
      heapSize: stats.heapSize, extraMemorySize: stats.extraMemorySize, objectCount: stats.objectCount, allocator: jsc.memoryUsage(),
      types: Object.entries(stats.objectTypeCounts).sort((a, b) => b[1] - a[1]).slice(0, 25),
    };
  }
  return out;
}
