// `starphleet set NAME VALUE` and `unset NAME`: a phleet-wide secret, sealed
// to each ship's key and signed with the admiral key (ssh-keygen -Y sign);
// ships verify, check the set's version and store it sealed.
import { UsageError } from '../../core/config.js';
import { loadProfile, markUsed, starphleetHome, type LoadedProfile } from '../../phleet/profile.js';
import { acrossShips, selectShips, shipTimeoutMs } from '../../phleet/select.js';
import { signPayload } from '../../secrets/admiral-sign.js';
import { isShipSetting, seal, secretProblem, SHIP_SETTING_PREFIX, type SecretMessage } from '../../secrets/crypto.js';
import type { SecretDelivery } from '../../secrets/delivery.js';
import { AdmiralCopy } from '../../secrets/sync.js';
import type { CommandInput } from '../command.js';
import { out } from '../shared.js';
import { catchUpShips, deliveryFor } from '../ship-secrets.js';

export function set(input: CommandInput): Promise<number> {
  return change('set', input);
}

export function unset(input: CommandInput): Promise<number> {
  return change('unset', input);
}

async function change(op: 'set' | 'unset', { flags, positionals }: CommandInput): Promise<number> {
  const want = op === 'set' ? 2 : 1;
  if (positionals.length !== want) {
    throw new UsageError(op === 'set' ? 'set: needs NAME and VALUE (or - to read the value from stdin)' : 'unset: needs exactly one NAME');
  }
  const name = positionals[0];
  if (isShipSetting(name)) throw new UsageError(`${op}: names starting with ${SHIP_SETTING_PREFIX} are ship settings (see 'starphleet webhook secret')`);
  const value = op === 'set' ? (positionals[1] === '-' ? await readStdin() : Buffer.from(positionals[1])) : undefined;
  return changeSecret(op, name, value, flags, !flags['no-restart']);
}

/** Deliver one set or unset to the phleet's ships (also for ship settings, which restart nothing). */
export async function changeSecret(op: 'set' | 'unset', name: string, value: Buffer | undefined, flags: CommandInput['flags'], restartWanted: boolean): Promise<number> {
  const problem = secretProblem(name, value);
  if (problem) throw new UsageError(`${op}: ${problem}`);
  const home = starphleetHome();
  const profile = await loadProfile(home, flags.phleet as string | undefined);
  const restart = restartWanted && !isShipSetting(name);
  const ships = selectShips(flags, process.env, profile);
  const timeout = shipTimeoutMs(flags, process.env);
  const copy = new AdmiralCopy(profile.dir);

  // Reach every ship (catching up any that missed earlier changes), then
  // apply to those that answered; the others get it when next reached.
  await catchUpShips(profile, ships, timeout);
  const reached = await acrossShips(ships, async (h) => {
    const d = deliveryFor(h);
    return { h, d, key: await reach(h.label, d.shipKey()), listing: await reach(h.label, d.list()) };
  }, timeout);
  const up = reached.flatMap((r) => (r.ok && r.value ? [r.value] : []));
  const down = reached.filter((r) => !r.ok);
  if (up.length === 0) {
    const why = down[0]?.error ?? 'no ship';
    throw new Error(ships.length === 1 ? `${why.startsWith('ship ') ? why : `ship ${ships[0].label}: ${why}`}; ${op} ${name}: nothing changed` : `${op}: no ship of phleet ${profile.name} answered (${why}); nothing changed`);
  }
  const known = copy.load().entries[name];
  if (op === 'unset' && !up.some((s) => s.listing.secrets.some((x) => x.name === name)) && known?.op !== 'set') {
    throw new Error(`unset: ${name} is not set in phleet ${profile.name}`);
  }
  const version = Math.max(copy.load().version, ...up.map((s) => s.listing.version)) + 1;
  const at = new Date().toISOString();
  const refused: string[] = [];
  let applied = 0;
  for (const s of up) {
    const m: SecretMessage = {
      v: 1, op, name, version, at, ship: s.key.fingerprint, restart,
      sealed: value ? seal(value, name, s.key.publicKey) : undefined,
    };
    try {
      await signAndApply(profile, s.h.label, s.d, JSON.stringify(m));
      applied += 1;
      if (ships.length > 1) out(`${s.h.label}: ${op} ${name} (version ${version})`);
    } catch (err) {
      refused.push((err as Error).message);
      if (ships.length > 1) out(`${s.h.label}: refused: ${(err as Error).message}`);
    }
  }
  if (applied === 0) throw new Error(refused[0] ?? `${op}: refused by every ship`);
  copy.record(op, name, version, at, value);
  for (const r of down) out(`${r.ship.label}: unreachable (${r.error ?? ''}); it catches up the next time a command reaches it`);
  markUsed(home, profile.name);
  const where = `${applied} ship${applied === 1 ? '' : 's'}`;
  out(`${op === 'set' ? 'set' : 'unset'} ${name} in phleet ${profile.name} (version ${version}) on ${where}; ${isShipSetting(name)
    ? 'a ship setting: no service sees it, nothing restarts'
    : restart ? 'every service rolls over to it now' : 'services pick it up at their next start (--no-restart)'}`);
  return refused.length > 0 || down.length > 0 ? 1 : 0;
}

export async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A ship's answer, or its error named after the ship. */
async function reach<T>(label: string, what: Promise<T>): Promise<T> {
  try {
    return await what;
  } catch (err) {
    const msg = (err as Error).message;
    throw new Error(msg.startsWith(`ship ${label}`) ? msg : `ship ${label}: ${msg}`);
  }
}

async function signAndApply(profile: LoadedProfile, label: string, d: SecretDelivery, payload: string): Promise<void> {
  const signature = await signPayload(profile.keyFile, payload);
  await reach(label, d.apply({ payload, signature }));
}
