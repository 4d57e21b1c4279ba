// `starphleet dashboard`: a login URL with a one-time code (10 minutes) from
// the ship's root-only control channel (over ssh for a remote ship), so the
// ship's token never goes into a URL. The ship: --root / STARPHLEET_ROOT,
// else --ship NAME of the phleet, else the phleet's only ship (or its one
// local ship), else the default root. A remote ship's URL names its ssh host.
// With --serve [ADDR:]PORT: the phleet dashboard, served from this machine
// (phleet-server.ts) until interrupted.
import { UsageError, type Flags } from '../../core/config.js';
import { assets } from '../../core/assets.js';
import { servePhleetDashboard } from '../../dashboard/phleet-server.js';
import { selectShips, shipTimeoutMs, type ShipHandle } from '../../phleet/select.js';
import { parseTarget } from '../../phleet/ssh-transport.js';
import type { CommandInput } from '../command.js';
import { Failure } from '../errors.js';
import { optionalProfile, out } from '../shared.js';

export async function dashboard({ flags }: CommandInput): Promise<number> {
  if (flags.serve !== undefined) return servePhleet(flags);
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

/** "[ADDR:]PORT" (ADDR defaults to 127.0.0.1; "[::1]:PORT" for IPv6); port 0 picks a free one. */
export function parseServe(text: string): { host: string; port: number } {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new UsageError(`dashboard: --serve takes [ADDR:]PORT (like 8080 or 0.0.0.0:8080), got '${text}'`);
  return { host: m[1] ? m[1].replace(/^\[|\]$/g, '') : '127.0.0.1', port };
}

async function servePhleet(flags: Flags): Promise<number> {
  if (typeof flags.serve !== 'string') throw new UsageError('dashboard: --serve needs [ADDR:]PORT, like 8080');
  const where = parseServe(flags.serve);
  const profile = await optionalProfile(flags);
  if (!profile) throw new UsageError('dashboard --serve: no phleet profile on this machine (make one with `starphleet init NAME`, or name one with --phleet NAME)');
  const ships = selectShips(flags, process.env, profile);
  const d = await servePhleetDashboard({
    phleet: profile.name, ships, ...where, staticDir: `${assets().root}/lib/dashboard`, timeoutMs: shipTimeoutMs({ timeout: flags.timeout ?? '10' }, process.env),
  }).catch((err: Error) => { throw new Failure(`dashboard --serve: cannot listen on ${flags.serve as string}: ${err.message}`); });
  out(`phleet ${profile.name} dashboard (${ships.length} ship${ships.length === 1 ? '' : 's'}): ${d.url}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await d.close();
  return 0;
}
