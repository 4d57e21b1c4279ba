// `starphleet logs [SERVICE_PATH]`: of one ship, or of the phleet's ships merged.
import { UsageError } from '../../core/config.js';
import { acrossShips, selectShips, shipTimeoutMs, type ShipHandle } from '../../phleet/select.js';
import type { CommandInput } from '../command.js';
import { phleetLogs } from '../logs.js';
import { optionalProfile, out } from '../shared.js';

export async function logs({ flags, positionals }: CommandInput): Promise<number> {
  const ships = selectShips(flags, process.env, await optionalProfile(flags));
  if (flags.build) return buildLogs(ships, positionals, shipTimeoutMs(flags, process.env));
  return phleetLogs(ships, flags, positionals, shipTimeoutMs(flags, process.env));
}

/** `logs PATH --build`: the full log of the service's newest build, from each ship. */
async function buildLogs(ships: ShipHandle[], positionals: string[], timeoutMs: number): Promise<number> {
  if (positionals.length !== 1 || !positionals[0].startsWith('/')) throw new UsageError('logs --build: needs one SERVICE_PATH, like /api');
  const results = await acrossShips(ships, async (h) => {
    const res = await h.transport.request({ cmd: 'build-log', path: positionals[0] }, timeoutMs);
    if (!res.ok) throw new Error(res.error ?? 'no build log');
    return { file: String(res.file), text: String(res.text) };
  }, timeoutMs);
  for (const r of results) {
    if (ships.length > 1) out(`== ${r.ship.label}${r.value ? `: ${r.value.file}` : ''}`);
    if (r.value) process.stdout.write(r.value.text.endsWith('\n') || r.value.text === '' ? r.value.text : `${r.value.text}\n`);
    else process.stderr.write(`starphleet: logs --build ${positionals[0]}: ${ships.length > 1 ? `${r.ship.label}: ` : ''}${r.error ?? 'failed'}\n`);
  }
  return results.every((r) => r.ok) ? 0 : 1;
}
