// `starphleet cert renew DOMAIN`: a new certificate for DOMAIN now, on every
// ship that serves it; waits for each (bounded), says what each ship got.
import { UsageError } from '../../core/config.js';
import { acrossShips, selectShips, shipTimeoutMs } from '../../phleet/select.js';
import type { CommandInput } from '../command.js';
import { Failure } from '../errors.js';
import { optionalProfile, out } from '../shared.js';

const RENEW_TIMEOUT_MS = 200_000;

export async function certRenew({ flags, positionals }: CommandInput): Promise<number> {
  if (positionals.length !== 1 || !/^[A-Za-z0-9.-]+$/.test(positionals[0])) throw new UsageError('usage: starphleet cert renew DOMAIN');
  const domain = positionals[0].toLowerCase();
  const profile = await optionalProfile(flags);
  const hs = selectShips(flags, process.env, profile);
  const timeout = Math.max(shipTimeoutMs(flags, process.env), RENEW_TIMEOUT_MS);
  const results = await acrossShips(hs, async (h) => {
    const res = await h.transport.request({ cmd: 'cert-renew', domain }, timeout);
    if (!res.ok) throw new Error(res.error ?? 'cert renew failed');
    return `certificate for ${domain} renewed, valid until ${String(res.notAfter)}`;
  }, timeout);
  if (hs.length === 1) {
    if (!results[0].ok) throw new Failure(`cert renew ${domain}: ${results[0].error ?? 'failed'}`);
    out(String(results[0].value));
    return 0;
  }
  for (const r of results) out(`${r.ship.label}: ${r.ok ? String(r.value) : `FAILED: ${r.error ?? ''}`}`);
  return results.every((r) => r.ok) ? 0 : 1;
}
