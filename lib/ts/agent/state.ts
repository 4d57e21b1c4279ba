// The ship's state: services, their containers and the addresses they hold.
// One JSON file under the root, replaced atomically on every change, so a
// restarted agent picks up exactly where the last one stopped.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { HealthRule } from '../health/healthcheck.js';
import type { Orders } from '../hq/orders.js';
import type { VersionState } from './version-states.js';
import type { ReleaseRecord } from '../process/releases.js';

export interface ContainerRecord {
  name: string;
  servicePath: string;
  serviceId: string;
  commit: string;
  slugKey?: string;               // its slug (build.ts slugKey): the commit, or commit-<folder hash> with APP_BASE
  warning?: string;               // its build's warning (npm EBADENGINE), for status
  ordersHash: string;
  base: string;
  ip: string;
  port: number;
  state: VersionState;            // moved only by version-states.ts `advance`
  createdAt: string;
  onlineAt?: string;
  drainUntil?: string;
  error?: string;
  restarts: number;
  lastRestartAt?: string;
  backoff?: number;               // crash-restart backoff level: delay = 2^backoff s, at most 60 s
  healthUrl?: string;             // checked at go-live and every HEALTHCHECK_PULSE after
  healthRule?: HealthRule;        // 200 (configured), or any answer below 500 (none configured); absent: 200
  answeredSinceRestart?: boolean;
  crash?: string;                 // its last trouble, with its name: "NAME exited with status 7" (status keeps it until a healthy minute after)
  recoveredAt?: string;           // when it answered again after that
  secretsVersion?: number;        // the phleet secrets' rollout version it was deployed for
  repo?: string;                  // the autodeploy URL (with #ref) it was built from
  process?: string;               // "web.1", "worker.2", "release" (absent: web.1, from before process types)
  release?: number;               // the service's release it runs (releases.ts)
}

export interface ServiceRecord {
  path: string;
  id: string;
  ordersFile: string;               // HQ-relative, for error messages
  orders?: Orders;                  // last orders that read cleanly
  ordersError?: string;             // the current orders file's problem, if any
  commit?: string;                  // what the repo's ref resolves to now
  serving?: string;                 // container name nginx routes to
  servingCommit?: string;
  failedKey?: string;               // deploy key that failed: not retried until something changes
  failedCommit?: string;            // the commit of the version that failed
  lastError?: string;
  fetchRetry?: string;              // its repo is unreachable: failed tries and the next one
  releases?: ReleaseRecord[];       // its release history on this ship (process/releases.ts)
  updatedAt: string;
}

export interface ShipState {
  version: 1;
  hqCommit?: string;
  hqError?: string;
  hqRetry?: string;                            // HQ unreachable: failed tries and the next one
  secretsError?: string;                       // the phleet secret set cannot be read (path and why)
  services: Record<string, ServiceRecord>;     // by path
  containers: Record<string, ContainerRecord>; // by name
  seq: number;                                 // container sequence
  nginxGeneration: number;
}

export function emptyState(): ShipState {
  return { version: 1, services: {}, containers: {}, seq: 0, nginxGeneration: 0 };
}

export function loadState(file: string): ShipState {
  if (!existsSync(file)) return emptyState();
  let parsed: ShipState;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as ShipState;
  } catch (err) {
    throw new Error(`${file}: unreadable ship state (${(err as Error).message})`);
  }
  if (parsed.version !== 1) throw new Error(`${file}: unknown state version ${String(parsed.version)}`);
  // Written by an agent before the version table: services carried their own state.
  for (const s of Object.values(parsed.services ?? {})) {
    delete (s as { state?: string }).state;
    delete (s as { deploying?: string }).deploying;
  }
  return parsed;
}

export function saveState(file: string, state: ShipState): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

/** What a deployed version is: commit, orders and the phleet secrets' rollout version (0: none yet). */
export function deployKey(commit: string, ordersHash: string, secretsVersion = 0): string {
  return secretsVersion ? `${commit}:${ordersHash}:s${secretsVersion}` : `${commit}:${ordersHash}`;
}
