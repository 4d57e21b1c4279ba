// `starphleet releases [/path] [--json]`: each service's numbered releases on
// every ship (in parallel, each ship bounded by --timeout).
import { acrossShips, selectShips, shipTimeoutMs } from '../../phleet/select.js';
import { formatReleases, type ServiceReleases } from '../../process/releases-view.js';
import type { CommandInput } from '../command.js';
import { Failure } from '../errors.js';
import { optionalProfile, out } from '../shared.js';

export async function releases({ flags, positionals }: CommandInput): Promise<number> {
  const path = positionals[0] === undefined ? undefined : positionals[0].length > 1 ? positionals[0].replace(/\/+$/, '') : positionals[0];
  if (path !== undefined && !path.startsWith('/')) throw new Failure(`releases: '${path}' is not a service path (like /api)`);
  const profile = await optionalProfile(flags);
  const hs = selectShips(flags, process.env, profile);
  const timeout = shipTimeoutMs(flags, process.env);
  const results = await acrossShips(hs, async (h) => {
    const res = await h.transport.request({ cmd: 'releases', ...(path ? { path } : {}) }, timeout);
    if (!res.ok) throw new Error(res.error ?? 'releases failed');
    return res.services as ServiceReleases[];
  }, timeout);
  if (hs.length === 1) {
    const r = results[0];
    if (!r.ok || !r.value) throw new Failure(r.error ?? 'releases failed');
    out(flags.json ? JSON.stringify({ services: r.value }, null, 2) : formatReleases(r.value));
    return 0;
  }
  if (flags.json) {
    out(JSON.stringify({ ships: results.map((r) => ({ name: r.ship.label, ok: r.ok, error: r.error ?? null, services: r.value ?? null })) }, null, 2));
  } else {
    for (const r of results) {
      out(`== ${r.ship.label}`);
      out(r.ok && r.value ? formatReleases(r.value) : `unreachable: ${r.error ?? ''}`);
    }
  }
  return results.every((r) => r.ok) ? 0 : 1;
}
