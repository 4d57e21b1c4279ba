// The full log of a service's newest build (ROOT/logs/build-ID-COMMIT8.log,
// capped on disk with one rotation), for `starphleet logs PATH --build`: the
// rotation first, then the file, at most MAX_BYTES of their tail.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ShipPaths } from '../core/paths.js';
import { parseBuildLogName } from '../build/build.js';

const MAX_BYTES = 8 * 1024 * 1024;

export function newestBuildLog(paths: ShipPaths, serviceId: string): { file: string; text: string } | null {
  if (!existsSync(paths.logs)) return null;
  const newest = readdirSync(paths.logs)
    .filter((f) => parseBuildLogName(f)?.serviceId === serviceId)
    .map((f) => ({ file: join(paths.logs, f), at: statSync(join(paths.logs, f)).mtimeMs }))
    .sort((a, b) => b.at - a.at)[0];
  if (!newest) return null;
  const parts = [`${newest.file}.1`, newest.file].filter((f) => existsSync(f)).map((f) => readFileSync(f));
  const all = Buffer.concat(parts);
  return { file: newest.file, text: all.subarray(Math.max(0, all.length - MAX_BYTES)).toString('utf8') };
}
