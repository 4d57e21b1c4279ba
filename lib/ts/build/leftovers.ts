// What a build leaves when the agent dies in the middle of it (kill -9, a
// crash, `ship down` during a build): ROOT/builds/<id>/ with its ENV_DIR tmpfs
// still mounted (the orders exports and phleet secrets of that build), and the
// one-shot build container `build--…` (maybe still running). Only one agent
// runs per root, so at its start nothing under builds/ belongs to a live
// build: clean it all. `ship down` does the same after stopping the agent.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { destroyContainer } from '../container/container.js';
import type { ShipPaths } from '../core/paths.js';
import { runOrThrow } from '../core/sh.js';

/** Mount points at or under dir, deepest first (from /proc/self/mounts; octal escapes decoded). */
export function mountsUnder(dir: string, mountsText?: string): string[] {
  const text = mountsText ?? readFileSync('/proc/self/mounts', 'utf8');
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return text.split('\n')
    .map((line) => line.split(' ')[1])
    .filter((m): m is string => Boolean(m))
    .map((m) => m.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((m) => m.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

/** Remove every build's work folder and build container; returns what was removed. */
export async function cleanBuildLeftovers(paths: ShipPaths, shDir: string): Promise<string[]> {
  const removed: string[] = [];
  if (existsSync(paths.lxcpath)) {
    for (const name of readdirSync(paths.lxcpath)) {
      if (!name.startsWith('build--')) continue;
      await destroyContainer(paths, shDir, name);
      removed.push(`container ${name}`);
    }
  }
  if (existsSync(paths.builds)) {
    for (const m of mountsUnder(paths.builds)) {
      await runOrThrow('umount', [m]).catch(() => runOrThrow('umount', ['-l', m]));
    }
    for (const id of readdirSync(paths.builds)) {
      rmSync(join(paths.builds, id), { recursive: true, force: true });
      removed.push(`build ${id}`);
    }
  }
  return removed;
}
