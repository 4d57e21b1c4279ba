// `starphleet ships`: one line per ship of the phleet: up or DOWN, HQ
// commit, services, secret-set version (ships are caught up first).
import { acrossShips, selectShips, shipTimeoutMs } from '../../phleet/select.js';
import { loadProfile, starphleetHome } from '../../phleet/profile.js';
import type { CommandInput } from '../command.js';
import { out } from '../shared.js';
import { catchUpShips, deliveryFor } from '../ship-secrets.js';

export async function ships({ flags }: CommandInput): Promise<number> {
  const profile = await loadProfile(starphleetHome(), typeof flags.phleet === 'string' ? flags.phleet : undefined);
  const handles = selectShips(flags, process.env, profile);
  const timeout = shipTimeoutMs(flags, process.env);
  if (profile.ships.length === 0) {
    out(`phleet ${profile.name} has no ships yet: add one with 'starphleet add ship TARGET'`);
    return 0;
  }
  await catchUpShips(profile, handles, timeout);
  const results = await acrossShips(handles, async (h) => {
    const st = await h.transport.request({ cmd: 'status' }, timeout);
    if (!st.ok) throw new Error(st.error ?? 'status failed');
    const secrets = await deliveryFor(h).list();
    return { hq: (st.ship as { hqCommit: string | null }).hqCommit, services: (st.services as unknown[]).length, version: secrets.version };
  }, timeout);
  const rows = results.map((r) => [
    r.ship.label,
    r.ship.entry.target ?? 'local',
    r.ok ? 'up' : 'DOWN',
    r.ok ? `hq ${(r.value?.hq ?? 'not fetched').slice(0, 12)}` : '',
    r.ok ? `services ${r.value?.services ?? 0}` : '',
    r.ok ? `secrets v${r.value?.version ?? 0}` : `(${r.error ?? ''})`,
  ]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const row of rows) out(row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
  return results.every((r) => r.ok) ? 0 : 1;
}
