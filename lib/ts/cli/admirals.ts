// Admirals and the privatize key as the CLI sees them: delivering a key to
// one ship (`privatize`, `add ship`) and the "admirals:" block of `info`.
// Both go through the ship's control transport.
import { readFileSync, statSync } from 'node:fs';
import { formatAdmirals, type AdmiralKey } from '../hq/admirals.js';
import { UsageError, type Flags } from '../core/config.js';
import { MAX_KEY_BYTES, privateKeyProblem } from '../git/privatize.js';
import type { ShipTransport } from '../phleet/transport.js';

export async function privatize(transport: ShipTransport, flags: Flags, positionals: string[], say: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<number> {
  if (positionals.length !== 1) throw new UsageError('privatize: needs exactly one PRIVATE_KEY_FILE');
  const file = positionals[0];
  let text: string;
  try {
    if (statSync(file).size > MAX_KEY_BYTES) throw new Error(`larger than ${MAX_KEY_BYTES} bytes, not a private key`);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(`privatize: cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
  const problem = privateKeyProblem(text);
  if (problem) throw new Error(`privatize: ${file} ${problem}`);
  const res = await transport.request({ cmd: 'privatize', key: text }, 30_000);
  if (!res.ok) throw new Error(`privatize: ${file}: ${res.error ?? 'the ship refused the key'}`);
  const phleet = typeof flags.phleet === 'string' ? ` (phleet ${flags.phleet})` : '';
  say(`privatized ${transport.describe}${phleet}: git over ssh uses key ${String(res.fingerprint)}${res.comment ? ` ${String(res.comment)}` : ''}`);
  return 0;
}

/** The "admirals:" block (and the privatize key) of one ship, as text. */
export async function admiralsInfo(transport: ShipTransport): Promise<string> {
  const res = await transport.request({ cmd: 'admirals' });
  if (!res.ok) throw new Error(res.error ?? 'admirals: the ship did not answer');
  const a = res.admirals as { user: string; keys: AdmiralKey[]; errors: string[]; notes: string[]; hqCommit: string | null; syncedAt: string | null };
  const key = res.sshKey as { fingerprint: string; comment: string } | null;
  const block = formatAdmirals(
    a.hqCommit ? { user: a.user, hqCommit: a.hqCommit, keys: a.keys, errors: a.errors, notes: a.notes, syncedAt: a.syncedAt ?? '' } : null,
    a.user,
  );
  const extra = !a.hqCommit ? a.errors.map((e) => `  error: ${e}`) : [];
  const priv = `privatize key: ${key ? `${key.fingerprint}${key.comment ? ` ${key.comment}` : ''}` : 'none'}`;
  return [block, ...extra, priv].join('\n');
}
