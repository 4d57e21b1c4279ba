// `starphleet info`: the phleet profile (when there is one; an unknown
// --phleet is an error unless --root names the ship), then for each ship its
// key and secrets, and its admirals block.
import { loadProfile, profileNames, starphleetHome, type LoadedProfile } from '../../phleet/profile.js';
import { acrossShips, selectShips, shipTimeoutMs } from '../../phleet/select.js';
import { fingerprint } from '../../secrets/admiral-sign.js';
import { admiralsInfo } from '../admirals.js';
import type { CommandInput } from '../command.js';
import { out } from '../shared.js';
import { deliveryFor } from '../ship-secrets.js';

export async function info({ flags }: CommandInput): Promise<number> {
  const home = starphleetHome();
  const wanted = flags.phleet as string | undefined;
  const explicitShip = typeof flags.root === 'string' || Boolean(process.env.STARPHLEET_ROOT);
  let profile: LoadedProfile | null = null;
  if (profileNames(home).length > 0 || (wanted !== undefined && !explicitShip)) {
    try {
      profile = await loadProfile(home, wanted);
    } catch (err) {
      if (!explicitShip) throw err;
    }
  }
  if (profile) {
    out(`phleet:       ${profile.name}`);
    out(`profile:      ${profile.dir}`);
    out(`headquarters: ${profile.headquarters}`);
    out(`admiral key:  ${await fingerprint(profile.publicKey)}`);
    out(`public key:   ${profile.publicKey}`);
  }
  let failed = false;
  const ships = selectShips(flags, process.env, profile);
  const results = await acrossShips(ships, async (ship) => {
    const d = deliveryFor(ship);
    const key = await d.shipKey();
    const l = await d.list();
    return [
      `ship:         ${ship.label} (ship key ${key.fingerprint}; ${l.secrets.length} secret${l.secrets.length === 1 ? '' : 's'}, set version ${l.version})`,
      `${wanted ? `phleet ${wanted}: ` : ''}${ship.transport.describe}`,
      await admiralsInfo(ship.transport),
    ].join('\n');
  }, shipTimeoutMs(flags, process.env));
  for (const r of results) {
    if (r.ok) out(r.value ?? '');
    else {
      out(`ship:         ${r.ship.label} (unreachable: ${r.error ?? ''})`);
      failed = true;
    }
  }
  return failed && !profile ? 1 : 0;
}
