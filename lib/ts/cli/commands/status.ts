// `starphleet status`: the services of every ship (in parallel, each ship
// bounded by --timeout; a ship that is down is reported, not waited on).
import { formatStatus, type ShipStatus } from '../../agent/status.js';
import { acrossShips, selectShips, shipTimeoutMs } from '../../phleet/select.js';
import type { CommandInput } from '../command.js';
import { Failure } from '../errors.js';
import { optionalProfile, out } from '../shared.js';
import { catchUpShips } from '../ship-secrets.js';

export async function status({ flags }: CommandInput): Promise<number> {
  const profile = await optionalProfile(flags);
  const hs = selectShips(flags, process.env, profile);
  const timeout = shipTimeoutMs(flags, process.env);
  if (profile) await catchUpShips(profile, hs, timeout);
  const results = await acrossShips(hs, async (h) => {
    const res = await h.transport.request({ cmd: 'status' }, timeout);
    if (!res.ok) throw new Error(res.error ?? 'status failed');
    return { ship: res.ship, services: res.services } as ShipStatus;
  }, timeout);
  const anyFailed = results.some((r) => !r.ok || (r.value?.services.some((s) => s.state === 'failed') ?? false));
  if (hs.length === 1) {
    const r = results[0];
    if (!r.ok || !r.value) throw new Failure(r.error?.startsWith('no ') || r.error?.includes(hs[0].label) ? r.error : `${hs[0].transport.describe}: ${r.error ?? ''}`);
    out(flags.json ? JSON.stringify(r.value, null, 2) : formatStatus(r.value));
    return anyFailed ? 1 : 0;
  }
  if (flags.json) {
    out(JSON.stringify({
      phleet: profile?.name ?? null,
      ships: results.map((r) => ({ name: r.ship.label, target: r.ship.entry.target ?? null, ok: r.ok, error: r.error ?? null, status: r.value ?? null })),
    }, null, 2));
    return anyFailed ? 1 : 0;
  }
  for (const r of results) {
    out(`== ${r.ship.label}${r.ship.entry.target ? ` (${r.ship.entry.target})` : ''}`);
    out(r.ok && r.value ? formatStatus(r.value) : `unreachable: ${r.error ?? ''}`);
  }
  return anyFailed ? 1 : 0;
}
