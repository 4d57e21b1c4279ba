// `starphleet init`, `info`, `set`, `unset`, `secrets`: phleet profiles and
// phleet-wide secrets from the command line. Values are sealed to each
// ship's key and signed with the admiral key (ssh-keygen -Y sign); ships
// verify, check the set's version and store them sealed.
import { parseArgs } from 'node:util';
import { UsageError, type Flags } from '../core/config.js';
import { signPayload, fingerprint } from '../secrets/admiral-sign.js';
import { helpFor } from './help.js';
import { admiralsInfo } from './admirals.js';
import { createProfile, loadProfile, markUsed, profileNames, publicOfKeyFile, rememberShip, starphleetHome, type LoadedProfile } from '../phleet/profile.js';
import { parseGitUrl } from '../git/resolve.js';
import { acrossShips, selectShips, shipTimeoutMs, type ShipHandle } from '../phleet/select.js';
import { TransportDelivery, type SecretDelivery } from '../secrets/delivery.js';
import { AdmiralCopy, catchUp } from '../secrets/sync.js';
import { seal, secretProblem, type SecretMessage } from '../secrets/crypto.js';

type OptionSpec = Record<string, { type: 'string' | 'boolean' }>;

function parse(command: string, args: string[], options: OptionSpec): { flags: Flags; positionals: string[] } | null {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${command}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (parsed.values.help) {
    process.stdout.write(helpFor(command) + '\n');
    return null;
  }
  return { flags: parsed.values as Flags, positionals: parsed.positionals };
}

const SHIP_FLAGS: OptionSpec = { phleet: { type: 'string' }, root: { type: 'string' }, ship: { type: 'string' }, timeout: { type: 'string' } };

function deliveryFor(ship: ShipHandle): SecretDelivery {
  return new TransportDelivery(ship.transport, `ship ${ship.label}`);
}

async function reach<T>(label: string, what: Promise<T>): Promise<T> {
  try {
    return await what;
  } catch (err) {
    const msg = (err as Error).message;
    throw new Error(msg.startsWith(`ship ${label}`) ? msg : `ship ${label}: ${msg}`);
  }
}

/** Bring every reachable ship up to the admiral's copy of the set (quietly; failures show later). */
export async function catchUpShips(profile: LoadedProfile, ships: ShipHandle[], timeoutMs: number): Promise<Map<ShipHandle, number>> {
  const copy = new AdmiralCopy(profile.dir);
  const sign = (payload: string): Promise<string> => signPayload(profile.keyFile, payload);
  const results = await acrossShips(ships, (h) => catchUp(copy, deliveryFor(h), sign), timeoutMs);
  const delivered = new Map<ShipHandle, number>();
  for (const r of results) if (r.ok && r.value) delivered.set(r.ship, r.value);
  return delivered;
}

function out(line: string): void {
  process.stdout.write(line + '\n');
}

export async function secretsCommand(cmd: string, args: string[]): Promise<number> {
  switch (cmd) {
    case 'init': return init(args);
    case 'set': return change('set', args);
    case 'unset': return change('unset', args);
    case 'secrets': return list(args);
    default: throw new UsageError(`unknown command '${cmd}'`);
  }
}

async function init(args: string[]): Promise<number> {
  const p = parse('init', args, { headquarters: { type: 'string' }, key: { type: 'string' }, root: { type: 'string' } });
  if (!p) return 0;
  const [name, extra] = p.positionals;
  if (!name) throw new UsageError('init: needs a phleet NAME');
  if (extra !== undefined) throw new UsageError(`init: unexpected argument '${extra}'`);
  if (typeof p.flags.headquarters !== 'string' || p.flags.headquarters === '') throw new UsageError('init: needs --headquarters URL');
  try {
    parseGitUrl(p.flags.headquarters);
  } catch (err) {
    throw new UsageError(`init: --headquarters: ${(err as Error).message}`);
  }
  const home = starphleetHome();
  const keyFlag = typeof p.flags.key === 'string' ? p.flags.key : undefined;
  // An existing profile with the same headquarters (and key) is enrolled on
  // the ship again: a ship started after `init` has no other way to learn it.
  const existing = await existingProfile(home, name, p.flags.headquarters, keyFlag);
  const profile = existing ?? await createProfile(home, name, p.flags.headquarters, keyFlag);
  markUsed(home, name);
  out(existing ? `phleet ${name} exists in ${profile.dir} (same headquarters and key)` : `phleet ${name} created in ${profile.dir}`);
  out(`admiral key: ${await fingerprint(profile.publicKey)}`);
  // Root on a ship: enroll the key through the root-only control channel.
  for (const ship of selectShips(p.flags, process.env, null)) {
    const root = ship.entry.root;
    try {
      const r = await deliveryFor(ship).enroll(profile.publicKey);
      rememberShip(profile, root);
      out(`ship ${root}: admiral key ${r.added ? 'enrolled' : 'already trusted'}`);
    } catch (err) {
      out(`ship ${root}: not enrolled (${(err as Error).message}); trust the key through the headquarters' authorized_keys/ folder instead`);
    }
  }
  return 0;
}

async function existingProfile(home: string, name: string, headquarters: string, keyFile?: string): Promise<LoadedProfile | null> {
  if (!profileNames(home).includes(name)) return null;
  const profile = await loadProfile(home, name);
  if (profile.headquarters !== headquarters) {
    throw new Error(`phleet '${name}' already exists (${profile.dir}) with headquarters ${profile.headquarters}`);
  }
  if (keyFile !== undefined && (await publicOfKeyFile(keyFile)).split(' ').slice(0, 2).join(' ') !== profile.publicKey.split(' ').slice(0, 2).join(' ')) {
    throw new Error(`phleet '${name}' already exists (${profile.dir}) with another admiral key than ${keyFile}`);
  }
  return profile;
}

/**
 * `starphleet info`: the phleet profile (when there is one; an unknown
 * --phleet is an error unless --root names the ship), then for each ship its
 * key and secrets, and its admirals block (issue 6).
 */
export async function info(flags: Flags): Promise<number> {
  const home = starphleetHome();
  const wanted = flags.phleet as string | undefined;
  const explicitShip = typeof flags.root === 'string' || Boolean(process.env.STARPHLEET_ROOT);
  let profile: LoadedProfile | null = null;
  if (profileNames(home).length > 0 || (wanted !== undefined && !explicitShip)) {
    try {
      profile = await loadProfile(home, wanted);
    } catch (err) {
      if (!explicitShip) throw err;
    }
  }
  if (profile) {
    out(`phleet:       ${profile.name}`);
    out(`profile:      ${profile.dir}`);
    out(`headquarters: ${profile.headquarters}`);
    out(`admiral key:  ${await fingerprint(profile.publicKey)}`);
    out(`public key:   ${profile.publicKey}`);
  }
  let failed = false;
  const ships = selectShips(flags, process.env, profile);
  const results = await acrossShips(ships, async (ship) => {
    const d = deliveryFor(ship);
    const key = await d.shipKey();
    const l = await d.list();
    return [
      `ship:         ${ship.label} (ship key ${key.fingerprint}; ${l.secrets.length} secret${l.secrets.length === 1 ? '' : 's'}, set version ${l.version})`,
      `${wanted ? `phleet ${wanted}: ` : ''}${ship.transport.describe}`,
      await admiralsInfo(ship.transport),
    ].join('\n');
  }, shipTimeoutMs(flags, process.env));
  for (const r of results) {
    if (r.ok) out(r.value ?? '');
    else {
      out(`ship:         ${r.ship.label} (unreachable: ${r.error ?? ''})`);
      failed = true;
    }
  }
  return failed && !profile ? 1 : 0;
}

async function list(args: string[]): Promise<number> {
  const p = parse('secrets', args, SHIP_FLAGS);
  if (!p) return 0;
  if (p.positionals.length) throw new UsageError(`secrets: unexpected argument '${p.positionals[0]}'`);
  const home = starphleetHome();
  const profile = await loadProfile(home, p.flags.phleet as string | undefined);
  const ships = selectShips(p.flags, process.env, profile);
  const timeout = shipTimeoutMs(p.flags, process.env);
  await catchUpShips(profile, ships, timeout);
  const results = await acrossShips(ships, (h) => deliveryFor(h).list(), timeout);
  let failed = false;
  for (const r of results) {
    const prefix = ships.length > 1 ? `${r.ship.label}  ` : '';
    if (!r.ok || !r.value) {
      if (ships.length === 1) throw new Error(r.error?.startsWith(`ship ${r.ship.label}`) ? r.error : `ship ${r.ship.label}: ${r.error ?? 'no answer'}`);
      out(`${prefix}unreachable: ${r.error ?? ''}`);
      failed = true;
      continue;
    }
    const l = r.value;
    if (l.secrets.length === 0) out(`${prefix}no secrets (set version ${l.version})`);
    for (const x of l.secrets) out(`${prefix}${x.name}  set ${x.at}  (version ${x.version})`);
  }
  markUsed(home, profile.name);
  return failed ? 1 : 0;
}


async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function change(op: 'set' | 'unset', args: string[]): Promise<number> {
  const p = parse(op, args, { ...SHIP_FLAGS, 'no-restart': { type: 'boolean' } });
  if (!p) return 0;
  const want = op === 'set' ? 2 : 1;
  if (p.positionals.length !== want) {
    throw new UsageError(op === 'set' ? 'set: needs NAME and VALUE (or - to read the value from stdin)' : 'unset: needs exactly one NAME');
  }
  const name = p.positionals[0];
  const value = op === 'set' ? (p.positionals[1] === '-' ? await readStdin() : Buffer.from(p.positionals[1])) : undefined;
  const problem = secretProblem(name, value);
  if (problem) throw new UsageError(`${op}: ${problem}`);
  const home = starphleetHome();
  const profile = await loadProfile(home, p.flags.phleet as string | undefined);
  const restart = !p.flags['no-restart'];
  const ships = selectShips(p.flags, process.env, profile);
  const timeout = shipTimeoutMs(p.flags, process.env);
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
  out(`${op === 'set' ? 'set' : 'unset'} ${name} in phleet ${profile.name} (version ${version}) on ${where}; ${restart
    ? 'every service rolls over to it now'
    : 'services pick it up at their next start (--no-restart)'}`);
  return refused.length > 0 || down.length > 0 ? 1 : 0;
}

async function signAndApply(profile: LoadedProfile, label: string, d: SecretDelivery, payload: string): Promise<void> {
  const signature = await signPayload(profile.keyFile, payload);
  await reach(label, d.apply({ payload, signature }));
}
