// `starphleet status`: the ship's state as a stable JSON document (pure) and
// as plain text, one line per service.
import type { CertStatus } from '../tls/keeper.js';
import { ownedDomains, shipDomains } from './domain-claims.js';
import type { ShipConfig } from '../core/config.js';
import type { ContainerRecord, ShipState } from './state.js';
import { serviceStateOf, type VersionState } from './version-states.js';
import { typeOf } from '../process/process-plan.js';
import { releaseMembers } from '../process/members.js';

/** The last healthcheck the agent made of a container. */
export interface HealthSeen {
  checkedAt: string; // ISO time
  ok: boolean;
  result: string;    // "200 in 12 ms", or what failed
}

/** What the running agent knows besides the state file (absent: nulls). */
export interface StatusLive {
  health(container: string): HealthSeen | undefined;
  memoryBytes(container: string): number | null;
  /** The service's pipeline: the step it is in (and since when), the version it deploys. */
  pipeline?(path: string): { step: string | null; since: number | null; deploying: VersionState | null } | undefined;
  now?: number;
}

export interface ContainerStatus {
  name: string;
  state: string;             // starting, checking, online, draining, failed
  commit: string;
  ip: string;
  port: number;
  createdAt: string;
  onlineAt: string | null;
  uptimeSeconds: number | null; // since it last (re)started, while online or draining
  restarts: number;
  memoryBytes: number | null;
  health: HealthSeen | null;
  error: string | null;
  process: string;           // "web.1", "worker.2", "release" (the release phase)
  release: number | null;    // the service's release it belongs to
}

/** One process instance of the serving release. */
export interface ProcessStatus {
  type: string;
  instance: number;
  container: string;
  state: string;
  restarts: number;
}

export interface ServiceStatus {
  path: string;
  state: string;
  repo: string | null;
  ref: string | null;
  commit: string | null;          // what the ref resolves to now
  servingCommit: string | null;   // what nginx routes to
  failedCommit: string | null;    // the newest version that failed to go live (error says why)
  container: string | null;
  ip: string | null;
  port: number | null;
  restarts: number;
  error: string | null;
  warning: string | null;          // a build warning that may break it (npm EBADENGINE): the newest failed version's, else the serving one's
  uptimeSeconds: number | null;    // of the serving container, since it last (re)started
  memoryBytes: number | null;      // of the serving container's cgroup
  health: HealthSeen | null;       // last check of the serving container
  containers: ContainerStatus[];   // every version this service has: serving, new, draining, failed
  retry: string | null;           // its repo is unreachable: failed tries and the next one
  servingRepo?: string | null;    // the URL#ref the serving container was built from (may differ from the orders' after a failed change)
  step: string | null;            // what its pipeline is doing now: orders, fetch, deploy (null: idle)
  stepSeconds: number | null;     // how long it has been at that step
  domains: string[];              // the orders' DOMAINS this service owns (routed to it)
  release: number | null;         // the release serving
  processes: ProcessStatus[];     // its processes: web first, then the other types
}

export interface ShipStatus {
  ship: {
    root: string; headquarters: string | null; hqCommit: string | null; hqError: string | null; hqRetry: string | null; httpPort: number; httpsPort: number;
    // Filled in by the agent: admirals synced from the HQ, the privatize key's fingerprint, a secret set it cannot read.
    admirals?: { user: string; keys: unknown[]; errors: string[] };
    sshKey?: string | null;
    secretsError?: string | null;
    /** How containers are isolated: "unprivileged (host uids N–M)" or "privileged: why". */
    containers?: string;
    /** Every domain's certificate: valid until, being issued, or why not. */
    certs?: CertStatus[];
  };
  services: ServiceStatus[];
}

function containerStatus(c: ContainerRecord, live: StatusLive | undefined, now: number): ContainerStatus {
  const since = c.lastRestartAt && c.onlineAt && c.lastRestartAt > c.onlineAt ? c.lastRestartAt : c.onlineAt;
  const running = c.state === 'online' || c.state === 'draining';
  return {
    name: c.name,
    state: c.state,
    commit: c.commit,
    ip: c.ip,
    port: c.port,
    createdAt: c.createdAt,
    onlineAt: c.onlineAt ?? null,
    uptimeSeconds: running && since ? Math.max(0, Math.round((now - Date.parse(since)) / 1000)) : null,
    restarts: c.restarts,
    memoryBytes: c.state === 'failed' ? null : live?.memoryBytes(c.name) ?? null,
    health: live?.health(c.name) ?? null,
    error: c.error ?? null,
    process: c.process ?? 'web.1',
    release: c.release ?? null,
  };
}

function processStatus(c: ContainerRecord): ProcessStatus {
  const label = c.process ?? 'web.1';
  return { type: typeOf(label), instance: Number(/\.(\d+)$/.exec(label)?.[1] ?? 1), container: c.name, state: c.state, restarts: c.restarts };
}

export function statusOf(state: ShipState, config: ShipConfig, live?: StatusLive): ShipStatus {
  const now = live?.now ?? Date.now();
  const domains = shipDomains(state.services);
  const services = Object.values(state.services)
    .sort((a, b) => a.path.localeCompare(b.path))
    .map((s): ServiceStatus => {
      const c = s.serving ? state.containers[s.serving] : undefined;
      const containers = Object.values(state.containers)
        .filter((x) => x.servicePath === s.path)
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
        .map((x) => containerStatus(x, live, now));
      const serving = containers.find((x) => x.name === c?.name);
      const pipe = live?.pipeline?.(s.path);
      // Without a live agent: the newest version still on its way in.
      const inFlight = Object.values(state.containers)
        .filter((x) => x.servicePath === s.path && (x.state === 'starting' || x.state === 'checking'))
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
      const deploying = pipe?.deploying ? { state: pipe.deploying } : inFlight;
      return {
        path: s.path,
        state: serviceStateOf({ serving: c, deploying, blocked: Boolean(s.failedKey || s.ordersError || s.fetchRetry) }),
        repo: s.orders?.autodeploy.url ?? null,
        ref: s.orders?.autodeploy.ref ?? null,
        commit: s.commit ?? null,
        servingCommit: s.servingCommit ?? null,
        failedCommit: s.failedCommit ?? null,
        container: c?.name ?? null,
        ip: c?.ip ?? null,
        port: c?.port ?? null,
        restarts: c?.restarts ?? 0,
        error: s.lastError ?? s.ordersError ?? domains.conflicts.get(s.path) ?? crashNote(c, now),
        // The build's warning of the version that failed last, else of the one serving.
        warning: newestFailed(state, s.path)?.warning ?? c?.warning ?? null,
        uptimeSeconds: serving?.uptimeSeconds ?? null,
        memoryBytes: serving?.memoryBytes ?? null,
        health: serving?.health ?? null,
        containers,
        retry: s.fetchRetry ?? null,
        servingRepo: c?.repo ?? null,
        step: pipe?.step ?? null,
        stepSeconds: pipe?.since ? Math.max(0, Math.round((now - pipe.since) / 1000)) : null,
        domains: ownedDomains(domains, s.path),
        release: c?.release ?? null,
        processes: c ? releaseMembers(state, c).map(processStatus) : [],
      };
    });
  // A service removed from the headquarters is gone from the state, but its
  // last container still drains: it shows as a `draining` service until then.
  for (const c of Object.values(state.containers)) {
    if (c.state !== 'draining' || state.services[c.servicePath] || services.some((x) => x.path === c.servicePath)) continue;
    const cs = containerStatus(c, live, now);
    services.push({
      path: c.servicePath, state: 'draining', repo: null, ref: null, commit: c.commit, servingCommit: null, failedCommit: null,
      container: c.name, ip: c.ip, port: c.port, restarts: c.restarts, error: null, warning: null, retry: null, domains: [],
      uptimeSeconds: cs.uptimeSeconds, memoryBytes: cs.memoryBytes, health: cs.health, containers: [cs], step: null, stepSeconds: null,
      release: c.release ?? null, processes: [processStatus(c)],
    });
  }
  services.sort((a, b) => a.path.localeCompare(b.path));
  return {
    ship: {
      root: config.root,
      headquarters: config.headquarters ?? null,
      hqCommit: state.hqCommit ?? null,
      hqError: state.hqError ?? null,
      hqRetry: state.hqRetry ?? null,
      httpPort: config.httpPort, httpsPort: config.httpsPort,
    },
    services,
  };
}

/** A serving container's last crash, while it restarts and for a healthy minute after. */
const CRASH_KEPT_MS = 60_000;
function crashNote(c: ContainerRecord | undefined, now: number): string | null {
  if (!c?.crash) return null;
  if (c.state === 'restarting') return c.crash;
  if (c.recoveredAt && now - Date.parse(c.recoveredAt) < CRASH_KEPT_MS) return `${c.crash} (answering again since ${c.recoveredAt})`;
  return null;
}

export function formatStatus(status: ShipStatus): string {
  const lines: string[] = [];
  const hq = status.ship.hqCommit ? status.ship.hqCommit.slice(0, 12) : 'not fetched';
  lines.push(`ship ${status.ship.root}  headquarters ${status.ship.headquarters ?? '-'} @ ${hq}${status.ship.hqError ? `  ERROR ${status.ship.hqError}` : ''}${status.ship.hqRetry ? ` (${status.ship.hqRetry})` : ''}`);
  for (const e of status.ship.admirals?.errors ?? []) lines.push(`admirals ERROR ${e}`);
  if (status.ship.secretsError) lines.push(`secrets ERROR ${status.ship.secretsError}`);
  if (status.ship.containers?.startsWith('privileged')) lines.push(`containers WARNING ${status.ship.containers}`);
  for (const c of status.ship.certs ?? []) {
    lines.push(c.error ? `cert ${c.domain} ERROR ${c.error}${c.retryAt ? ` (retry at ${c.retryAt})` : ''}${c.notAfter ? `; serving the one valid until ${c.notAfter}` : ''}`
      : `cert ${c.domain} ${c.state}${c.notAfter ? ` until ${c.notAfter}` : ''}`);
  }
  const rows = status.services.map((s) => [
    s.path,
    s.state,
    // repo@commit of what serves; after an orders change to another repo that
    // failed, that is the old repo (the new one's commit is in failed=).
    s.servingRepo && s.servingCommit ? `${s.servingRepo}@${s.servingCommit.slice(0, 12)}`
      : s.repo ? `${s.repo}${s.ref ? `#${s.ref}` : ''}@${(s.servingCommit ?? s.commit ?? '-').slice(0, 12)}` : '-',
    s.container ?? '-',
    s.uptimeSeconds !== null ? `up=${formatSeconds(s.uptimeSeconds)}` : '',
    s.memoryBytes !== null ? `mem=${formatBytes(s.memoryBytes)}` : '',
    s.health ? `health=${s.health.ok ? 'ok' : 'FAIL'}@${s.health.checkedAt.slice(11, 19)}` : '',
    s.domains.length ? `domains=${s.domains.join(',')}` : '',
    s.restarts ? `restarts=${s.restarts}` : '',
    // The serving release's other processes by name, then other versions (new, draining) by state.
    s.processes.filter((p) => p.container !== s.container).map((p) => `${p.type}.${p.instance}=${p.state}${p.restarts ? `(restarts=${p.restarts})` : ''}`).join(' '),
    s.containers.filter((x) => x.name !== s.container && x.state !== 'failed' && !s.processes.some((p) => p.container === x.name)).map((x) => `${x.state}=${x.name}`).join(' '),
    s.failedCommit ? `failed=${s.failedCommit.slice(0, 12)}` : '',
    s.error ? `error: ${s.error}` : '',
    s.warning ? `warning: ${s.warning}` : '',
    s.retry ? `(${s.retry})` : '',
    // A step that takes long is worth a look (a git host that does not answer, a long build).
    s.step && (s.stepSeconds ?? 0) >= 5 ? `(${s.step} for ${formatSeconds(s.stepSeconds ?? 0)})` : '',
  ]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(0, ...rows.map((r) => r[i].length)));
  for (const r of rows) {
    lines.push(r.map((cell, i) => (i < 4 ? cell.padEnd(widths[i]) : cell)).filter((cell, i) => i < 4 || cell !== '').join('  ').trimEnd());
  }
  return lines.join('\n');
}

/** The newest failed container of a service, if any. */
function newestFailed(state: ShipState, path: string): ContainerRecord | undefined {
  return Object.values(state.containers)
    .filter((x) => x.servicePath === path && x.state === 'failed')
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
}

export function formatSeconds(n: number): string {
  if (n < 60) return `${n}s`;
  if (n < 3600) return `${Math.floor(n / 60)}m${String(n % 60).padStart(2, '0')}s`;
  if (n < 86400) return `${Math.floor(n / 3600)}h${String(Math.floor((n % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(n / 86400)}d${String(Math.floor((n % 86400) / 3600)).padStart(2, '0')}h`;
}

export function formatBytes(n: number): string {
  if (n < 1024 * 1024) return `${Math.round(n / 1024)}K`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)}M`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)}G`;
}
