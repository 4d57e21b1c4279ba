// `starphleet dashboard`: a login URL with a one-time code (10 minutes) from
// the ship's root-only control channel (over ssh for a remote ship), so the
// ship's token never goes into a URL. The ship: --root / STARPHLEET_ROOT,
// else --ship NAME of the phleet, else the phleet's only ship (or its one
// local ship), else the default root. A remote ship's URL names its ssh host.
import { UsageError, type Flags } from '../../core/config.js';
import { selectShips, type ShipHandle } from '../../phleet/select.js';
import { parseTarget } from '../../phleet/ssh-transport.js';
import type { CommandInput } from '../command.js';
import { Failure } from '../errors.js';
import { optionalProfile, out } from '../shared.js';

export async function dashboard({ flags }: CommandInput): Promise<number> {
  const { ship, host } = await dashboardShip(flags);
  const res = await ship.transport.request({ cmd: 'dashboard-login' });
  if (!res.ok) throw new Failure(res.error ?? 'dashboard login failed');
  const port = Number(res.httpPort);
  out(`http://${host}${port === 80 ? '' : `:${port}`}/starphleet/dashboard/login?code=${String(res.code)}`);
  return 0;
}

async function dashboardShip(flags: Flags): Promise<{ ship: ShipHandle; host: string }> {
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
