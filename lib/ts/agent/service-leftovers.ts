// What a service leaves on the ship besides its containers: its slugs
// (ROOT/slugs/<id>), build cache (ROOT/cache/<id>), repo cache
// (ROOT/repos/<id>.git) and build logs (ROOT/logs/build-<id>-<commit8>.log).
// Once a service is gone from the headquarters and its last container (a
// draining one included) is gone too, these go as well; a service that comes
// back builds again. Swept after every poll, so a service removed while the
// agent was down goes too.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseBuildLogName } from '../build/build.js';
import type { ShipPaths } from '../core/paths.js';
import { isServiceId } from '../core/service-names.js';

/** Remove the files of every service id not in `keep`; returns what was removed (relative to the root). */
export function sweepServiceFiles(paths: ShipPaths, keep: Set<string>): string[] {
  const removed: string[] = [];
  // Anything not named like a service id is not ours to remove.
  const gone = (id: string): boolean => isServiceId(id) && !keep.has(id);
  const sweep = (dir: string, idOf: (entry: string) => string | null, rel: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir)) {
      const id = idOf(entry);
      if (id === null || !gone(id)) continue;
      rmSync(join(dir, entry), { recursive: true, force: true });
      removed.push(`${rel}/${entry}`);
    }
  };
  sweep(paths.slugs, (e) => e, 'slugs');
  sweep(paths.caches, (e) => e, 'cache');
  sweep(paths.repos, (e) => (e.endsWith('.git') ? e.slice(0, -'.git'.length) : null), 'repos');
  sweep(paths.logs, (e) => parseBuildLogName(e)?.serviceId ?? null, 'logs');
  return removed;
}
