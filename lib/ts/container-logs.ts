// A container's log file (ROOT/logs/<name>.log and its one rotation .1)
// lives as long as the container: removed with it, and removed before a new
// container starts under a name an old one had (the container sequence
// starts over after `ship down`), so its lines are never read as the new
// container's.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ShipPaths } from './paths.js';

export function removeContainerLog(paths: ShipPaths, name: string): void {
  const file = paths.containerLog(name);
  rmSync(file, { force: true });
  rmSync(`${file}.1`, { force: true });
}

/** A container log's file name: `<service-id>--<commit8>-<seq>.log` (or its rotation `.1`). */
const CONTAINER_LOG = /^(.+--[0-9a-f]{8}-\d+)\.log(\.1)?$/;

/**
 * Logs of containers the ship no longer has (removed by `ship down`, or by an
 * agent before logs went with their containers): removed at agent start.
 * Other files in ROOT/logs (build logs, a demo's agent.jsonl) stay.
 */
export function removeOrphanLogs(paths: ShipPaths, containers: Set<string>): string[] {
  if (!existsSync(paths.logs)) return [];
  const removed: string[] = [];
  for (const f of readdirSync(paths.logs)) {
    const m = CONTAINER_LOG.exec(f);
    if (!m || containers.has(m[1]) || existsSync(paths.container(m[1]))) continue;
    rmSync(join(paths.logs, f), { force: true });
    removed.push(f);
  }
  return removed;
}
