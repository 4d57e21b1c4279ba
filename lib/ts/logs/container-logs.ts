// A container's log file (ROOT/logs/<name>.log and its one rotation .1)
// lives as long as the container: removed with it, and removed before a new
// container starts under a name an old one had (the container sequence
// starts over after `ship down`), so its lines are never read as the new
// container's.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ShipPaths } from '../core/paths.js';
import { serviceIdOfContainer } from '../core/service-names.js';

export function removeContainerLog(paths: ShipPaths, name: string): void {
  const file = paths.containerLog(name);
  rmSync(file, { force: true });
  rmSync(`${file}.1`, { force: true });
}


/**
 * Logs of containers the ship no longer has (removed by `ship down`, or by an
 * agent before logs went with their containers): removed at agent start.
 * Other files in ROOT/logs (build logs, a demo's agent.jsonl) stay.
 */
export function removeOrphanLogs(paths: ShipPaths, containers: Set<string>): string[] {
  if (!existsSync(paths.logs)) return [];
  const removed: string[] = [];
  for (const f of readdirSync(paths.logs)) {
    // A container log: `<container name>.log`, or its rotation `.log.1`.
    const name = /^(.+)\.log(\.1)?$/.exec(f)?.[1];
    if (!name || serviceIdOfContainer(name) === null || containers.has(name) || existsSync(paths.container(name))) continue;
    rmSync(join(paths.logs, f), { force: true });
    removed.push(f);
  }
  return removed;
}
