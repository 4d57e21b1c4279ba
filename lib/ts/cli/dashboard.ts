// Which ship `starphleet dashboard` asks for a login code, and the host its
// URL names: --root / STARPHLEET_ROOT, else --ship NAME of the phleet, else
// the phleet's only ship (or its one local ship), else the default root. A
// remote ship is asked over ssh and its URL names its ssh host.
import { UsageError, type Flags } from '../core/config.js';
import { optionalProfile } from './phleet.js';
import { selectShips, type ShipHandle } from '../phleet/select.js';
import { parseTarget } from '../phleet/ssh-transport.js';

export async function dashboardShip(flags: Flags): Promise<{ ship: ShipHandle; host: string }> {
  const profile = await optionalProfile(flags);
  const ships = selectShips(flags, process.env, profile);
  let ship = ships[0];
  if (ships.length > 1) {
    const local = ships.filter((s) => !s.entry.target);
    if (local.length !== 1) {
      throw new UsageError(`dashboard: phleet ${profile?.name ?? ''} has ${ships.length} ships (${ships.map((s) => s.label).join(', ')}): choose one with --ship NAME`);
    }
    ship = local[0];
  }
  const host = typeof flags.host === 'string' ? flags.host : ship.entry.target ? parseTarget(ship.entry.target).host : '127.0.0.1';
  return { ship, host };
}
