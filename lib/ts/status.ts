// `starphleet status`: the ship's state as a stable JSON document (pure) and
// as plain text, one line per service.
import type { ShipConfig } from './config.js';
import type { ShipState } from './state.js';

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
  retry: string | null;           // its repo is unreachable: failed tries and the next one
}

export interface ShipStatus {
  ship: {
    root: string; headquarters: string | null; hqCommit: string | null; hqError: string | null; hqRetry: string | null; httpPort: number;
    // Filled in by the agent (issue 6): admirals synced from the HQ, the privatize key's fingerprint.
    admirals?: { user: string; keys: unknown[]; errors: string[] };
    sshKey?: string | null;
  };
  services: ServiceStatus[];
}

export function statusOf(state: ShipState, config: ShipConfig): ShipStatus {
  const services = Object.values(state.services)
    .sort((a, b) => a.path.localeCompare(b.path))
    .map((s): ServiceStatus => {
      const c = s.serving ? state.containers[s.serving] : undefined;
      return {
        path: s.path,
        state: s.state,
        repo: s.orders?.autodeploy.url ?? null,
        ref: s.orders?.autodeploy.ref ?? null,
        commit: s.commit ?? null,
        servingCommit: s.servingCommit ?? null,
        failedCommit: s.failedCommit ?? null,
        container: c?.name ?? null,
        ip: c?.ip ?? null,
        port: c?.port ?? null,
        restarts: c?.restarts ?? 0,
        error: s.lastError ?? s.ordersError ?? null,
        retry: s.fetchRetry ?? null,
      };
    });
  return {
    ship: {
      root: config.root,
      headquarters: config.headquarters ?? null,
      hqCommit: state.hqCommit ?? null,
      hqError: state.hqError ?? null,
      hqRetry: state.hqRetry ?? null,
      httpPort: config.httpPort,
    },
    services,
  };
}

export function formatStatus(status: ShipStatus): string {
  const lines: string[] = [];
  const hq = status.ship.hqCommit ? status.ship.hqCommit.slice(0, 12) : 'not fetched';
  lines.push(`ship ${status.ship.root}  headquarters ${status.ship.headquarters ?? '-'} @ ${hq}${status.ship.hqError ? `  ERROR ${status.ship.hqError}` : ''}${status.ship.hqRetry ? ` (${status.ship.hqRetry})` : ''}`);
  for (const e of status.ship.admirals?.errors ?? []) lines.push(`admirals ERROR ${e}`);
  const rows = status.services.map((s) => [
    s.path,
    s.state,
    s.repo ? `${s.repo}${s.ref ? `#${s.ref}` : ''}@${(s.servingCommit ?? s.commit ?? '-').slice(0, 12)}` : '-',
    s.container ?? '-',
    s.restarts ? `restarts=${s.restarts}` : '',
    s.failedCommit ? `failed=${s.failedCommit.slice(0, 12)}` : '',
    s.error ? `error: ${s.error}` : '',
    s.retry ? `(${s.retry})` : '',
  ]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(0, ...rows.map((r) => r[i].length)));
  for (const r of rows) {
    lines.push(r.map((cell, i) => (i < 4 ? cell.padEnd(widths[i]) : cell)).filter((cell, i) => i < 4 || cell !== '').join('  ').trimEnd());
  }
  return lines.join('\n');
}
