// `starphleet privatize KEY` on every ship; the profile keeps a copy (0600)
// so that ships added later get it too.
import { chmodSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../core/config.js';
import { acrossShips, selectShips, shipTimeoutMs } from '../../phleet/select.js';
import { privatize } from '../admirals.js';
import type { CommandInput } from '../command.js';
import { optionalProfile, out } from '../shared.js';

export async function privatizeShips({ flags, positionals }: CommandInput): Promise<number> {
  if (positionals.length !== 1) throw new UsageError('privatize: needs exactly one PRIVATE_KEY_FILE');
  const profile = await optionalProfile(flags);
  const hs = selectShips(flags, process.env, profile);
  const results = await acrossShips(hs, (h) => privatize(h.transport, flags, positionals, (line) => out(hs.length > 1 ? `${h.label}: ${line}` : line)), shipTimeoutMs(flags, process.env));
  const ok = results.filter((r) => r.ok).length;
  for (const r of results) if (!r.ok) process.stderr.write(`starphleet: ${hs.length > 1 ? `${r.ship.label}: ` : ''}${r.error ?? ''}\n`);
  if (profile && ok > 0) {
    const copy = join(profile.dir, 'privatize_key');
    copyFileSync(positionals[0], copy);
    chmodSync(copy, 0o600);
  }
  return ok === results.length ? 0 : 1;
}
