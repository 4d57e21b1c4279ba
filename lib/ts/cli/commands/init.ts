// `starphleet init NAME --headquarters URL`: create the phleet profile (or
// find the same one again) and, as root on a ship, enroll its admiral key there.
import { UsageError } from '../../core/config.js';
import { parseGitUrl } from '../../git/resolve.js';
import { createProfile, loadProfile, markUsed, profileNames, publicOfKeyFile, rememberShip, starphleetHome, type LoadedProfile } from '../../phleet/profile.js';
import { selectShips } from '../../phleet/select.js';
import { fingerprint } from '../../secrets/admiral-sign.js';
import type { CommandInput } from '../command.js';
import { out } from '../shared.js';
import { deliveryFor } from '../ship-secrets.js';

export async function init({ flags, positionals }: CommandInput): Promise<number> {
  const [name, extra] = positionals;
  if (!name) throw new UsageError('init: needs a phleet NAME');
  if (extra !== undefined) throw new UsageError(`init: unexpected argument '${extra}'`);
  if (typeof flags.headquarters !== 'string' || flags.headquarters === '') throw new UsageError('init: needs --headquarters URL');
  try {
    parseGitUrl(flags.headquarters);
  } catch (err) {
    throw new UsageError(`init: --headquarters: ${(err as Error).message}`);
  }
  const home = starphleetHome();
  const keyFlag = typeof flags.key === 'string' ? flags.key : undefined;
  // An existing profile with the same headquarters (and key) is enrolled on
  // the ship again: a ship started after `init` has no other way to learn it.
  const existing = await existingProfile(home, name, flags.headquarters, keyFlag);
  const profile = existing ?? await createProfile(home, name, flags.headquarters, keyFlag);
  markUsed(home, name);
  out(existing ? `phleet ${name} exists in ${profile.dir} (same headquarters and key)` : `phleet ${name} created in ${profile.dir}`);
  out(`admiral key: ${await fingerprint(profile.publicKey)}`);
  // Root on a ship: enroll the key through the root-only control channel.
  for (const ship of selectShips(flags, process.env, null)) {
    const root = ship.entry.root;
    try {
      const r = await deliveryFor(ship).enroll(profile.publicKey);
      rememberShip(profile, root);
      out(`ship ${root}: admiral key ${r.added ? 'enrolled' : 'already trusted'}`);
    } catch (err) {
      out(`ship ${root}: not enrolled (${(err as Error).message}); trust the key through the headquarters' authorized_keys/ folder instead`);
    }
  }
  return 0;
}

async function existingProfile(home: string, name: string, headquarters: string, keyFile?: string): Promise<LoadedProfile | null> {
  if (!profileNames(home).includes(name)) return null;
  const profile = await loadProfile(home, name);
  if (profile.headquarters !== headquarters) {
    throw new Error(`phleet '${name}' already exists (${profile.dir}) with headquarters ${profile.headquarters}`);
  }
  if (keyFile !== undefined && (await publicOfKeyFile(keyFile)).split(' ').slice(0, 2).join(' ') !== profile.publicKey.split(' ').slice(0, 2).join(' ')) {
    throw new Error(`phleet '${name}' already exists (${profile.dir}) with another admiral key than ${keyFile}`);
  }
  return profile;
}
