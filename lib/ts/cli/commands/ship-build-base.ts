// `ship build-base`: a container base image under ROOT/bases (host stack, or --debian).
import { rmSync } from 'node:fs';
import { ensureBase } from '../../container/container.js';
import { shipContainerIds } from '../../container/idmap.js';
import { assets } from '../../core/assets.js';
import { resolveRoot } from '../../core/config.js';
import { shipPaths } from '../../core/paths.js';
import type { CommandInput } from '../command.js';
import { out } from '../shared.js';

export async function shipBuildBase({ flags }: CommandInput): Promise<number> {
  const paths = shipPaths(resolveRoot(flags, process.env));
  const base = flags.debian ? 'debian' : 'host';
  if (flags.rebuild) rmSync(`${paths.base(base)}/ready`, { force: true });
  // Owned by the ids the ship's containers run as (its subordinate range).
  const built = await ensureBase(paths, assets().lxc, base, shipContainerIds().ids, out);
  out(`base ${base} ready: ${built.rootfs}`);
  return 0;
}
