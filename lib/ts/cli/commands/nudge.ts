// `starphleet nudge`: every ship polls its headquarters and services now;
// --wait SECONDS waits for the polls (never for builds).
import { UsageError } from '../../core/config.js';
import { acrossShips, selectShips, shipTimeoutMs } from '../../phleet/select.js';
import type { ControlResponse } from '../../phleet/transport.js';
import type { CommandInput } from '../command.js';
import { Failure } from '../errors.js';
import { optionalProfile, out } from '../shared.js';
import { catchUpShips } from '../ship-secrets.js';

export async function nudge({ flags }: CommandInput): Promise<number> {
  const profile = await optionalProfile(flags);
  const hs = selectShips(flags, process.env, profile);
  let wait = 0;
  if (flags.wait !== undefined) {
    const text = String(flags.wait);
    if (!/^\d+$/.test(text) || Number(text) > 120) throw new UsageError(`nudge: --wait takes whole seconds from 0 to 120, got '${text}'`);
    wait = Number(text);
  }
  const timeout = Math.max(shipTimeoutMs(flags, process.env), (wait + 15) * 1000);
  if (profile) await catchUpShips(profile, hs, Math.max(timeout, 120_000));
  const said = (res: ControlResponse): string => (res.waited ? (res.done ? 'nudged: headquarters and services polled' : `nudged: polls still running after ${wait} s`) : 'nudged');
  const results = await acrossShips(hs, async (h) => {
    const res = await h.transport.request({ cmd: 'nudge', wait }, timeout);
    if (!res.ok) throw new Error(res.error ?? 'nudge failed');
    return said(res);
  }, timeout);
  if (hs.length === 1) {
    if (!results[0].ok) throw new Failure(results[0].error ?? 'nudge failed');
    out(String(results[0].value));
    return 0;
  }
  for (const r of results) out(`${r.ship.label}: ${r.ok ? String(r.value) : `FAILED: ${r.error ?? ''}`}`);
  return results.every((r) => r.ok) ? 0 : 1;
}
