// A container's log file (ROOT/logs/<name>.log and its one rotation .1)
// lives as long as the container: removed with it, and removed before a new
// container starts under a name an old one had (the container sequence
// starts over after `ship down`), so its lines are never read as the new
// container's.
import { rmSync } from 'node:fs';
import type { ShipPaths } from './paths.js';

export function removeContainerLog(paths: ShipPaths, name: string): void {
  const file = paths.containerLog(name);
  rmSync(file, { force: true });
  rmSync(`${file}.1`, { force: true });
}
