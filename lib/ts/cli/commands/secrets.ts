// `starphleet secrets`: the phleet's secret names, when and in which set
// version each was set (never the values).
import { loadProfile, markUsed, starphleetHome } from '../../phleet/profile.js';
import { acrossShips, selectShips, shipTimeoutMs } from '../../phleet/select.js';
import type { CommandInput } from '../command.js';
import { out } from '../shared.js';
import { catchUpShips, deliveryFor } from '../ship-secrets.js';

export async function secrets({ flags }: CommandInput): Promise<number> {
  const home = starphleetHome();
  const profile = await loadProfile(home, flags.phleet as string | undefined);
  const ships = selectShips(flags, process.env, profile);
  const timeout = shipTimeoutMs(flags, process.env);
  await catchUpShips(profile, ships, timeout);
  const results = await acrossShips(ships, (h) => deliveryFor(h).list(), timeout);
  let failed = false;
  for (const r of results) {
    const prefix = ships.length > 1 ? `${r.ship.label}  ` : '';
    if (!r.ok || !r.value) {
      if (ships.length === 1) throw new Error(r.error?.startsWith(`ship ${r.ship.label}`) ? r.error : `ship ${r.ship.label}: ${r.error ?? 'no answer'}`);
      out(`${prefix}unreachable: ${r.error ?? ''}`);
      failed = true;
      continue;
    }
    const l = r.value;
    if (l.secrets.length === 0) out(`${prefix}no secrets (set version ${l.version})`);
    for (const x of l.secrets) out(`${prefix}${x.name}  set ${x.at}  (version ${x.version})`);
  }
  markUsed(home, profile.name);
  return failed ? 1 : 0;
}
