// `starphleet init`, `info`, `set`, `unset`, `secrets`: phleet profiles and
// phleet-wide secrets from the command line. Values are sealed to each
// ship's key and signed with the admiral key (ssh-keygen -Y sign); ships
// verify, check the set's version and store them sealed.
import { parseArgs } from 'node:util';
import { DEFAULT_ROOT, UsageError, type Flags } from './config.js';
import { signPayload, fingerprint } from './admiral-sign.js';
import { helpFor } from './help.js';
import { shipPaths } from './paths.js';
import { admiralsInfo } from './cmd-admirals.js';
import { createProfile, loadProfile, markUsed, profileNames, rememberShip, starphleetHome, type LoadedProfile } from './profile.js';
import { parseGitUrl } from './resolve.js';
import { TransportDelivery, type SecretDelivery } from './secret-delivery.js';
import { seal, secretProblem, type SecretMessage } from './secrets-crypto.js';
import { LocalSocketTransport } from './transport.js';

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

const SHIP_FLAGS: OptionSpec = { phleet: { type: 'string' }, root: { type: 'string' } };

/** The ships a command reaches: --root > STARPHLEET_ROOT > the profile's ships > the default root. */
export function shipRoots(flags: Flags, env: NodeJS.ProcessEnv, profile: { ships: string[] } | null): string[] {
  if (typeof flags.root === 'string') return [flags.root];
  if (env.STARPHLEET_ROOT) return [env.STARPHLEET_ROOT];
  if (profile && profile.ships.length > 0) return profile.ships;
  return [DEFAULT_ROOT];
}

function deliveryFor(root: string): SecretDelivery {
  return new TransportDelivery(new LocalSocketTransport(shipPaths(root).controlSocket), `ship ${root}`);
}

async function reach<T>(root: string, what: Promise<T>): Promise<T> {
  try {
    return await what;
  } catch (err) {
    const msg = (err as Error).message;
    throw new Error(msg.startsWith(`ship ${root}`) ? msg : `ship ${root}: ${msg}`);
  }
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
  const profile = await createProfile(home, name, p.flags.headquarters, typeof p.flags.key === 'string' ? p.flags.key : undefined);
  markUsed(home, name);
  out(`phleet ${name} created in ${profile.dir}`);
  out(`admiral key: ${await fingerprint(profile.publicKey)}`);
  // Root on a ship: enroll the key through the root-only control channel.
  for (const root of shipRoots(p.flags, process.env, null)) {
    try {
      const r = await deliveryFor(root).enroll(profile.publicKey);
      rememberShip(profile, root);
      out(`ship ${root}: admiral key ${r.added ? 'enrolled' : 'already trusted'}`);
    } catch (err) {
      out(`ship ${root}: not enrolled (${(err as Error).message}); trust the key through the headquarters' authorized_keys/ folder instead`);
    }
  }
  return 0;
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
  for (const root of shipRoots(flags, process.env, profile)) {
    const transport = new LocalSocketTransport(shipPaths(root).controlSocket);
    try {
      const d = new TransportDelivery(transport, `ship ${root}`);
      const key = await d.shipKey();
      const l = await d.list();
      out(`ship:         ${root} (ship key ${key.fingerprint}; ${l.secrets.length} secret${l.secrets.length === 1 ? '' : 's'}, set version ${l.version})`);
      out(`${wanted ? `phleet ${wanted}: ` : ''}${transport.describe}`);
      out(await admiralsInfo(transport));
    } catch (err) {
      out(`ship:         ${root} (unreachable: ${(err as Error).message})`);
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
  const roots = shipRoots(p.flags, process.env, profile);
  for (const root of roots) {
    const l = await reach(root, deliveryFor(root).list());
    const prefix = roots.length > 1 ? `${root}  ` : '';
    if (l.secrets.length === 0) out(`${prefix}no secrets (set version ${l.version})`);
    for (const s of l.secrets) out(`${prefix}${s.name}  set ${s.at}  (version ${s.version})`);
  }
  markUsed(home, profile.name);
  return 0;
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
  const roots = shipRoots(p.flags, process.env, profile);

  // First reach every ship (its key and version): nothing changes anywhere unless all answer.
  const ships = await Promise.all(roots.map(async (root) => {
    const d = deliveryFor(root);
    return { root, d, key: await reach(root, d.shipKey()), listing: await reach(root, d.list()) };
  }));
  if (op === 'unset' && !ships.some((s) => s.listing.secrets.some((x) => x.name === name))) {
    throw new Error(`unset: ${name} is not set in phleet ${profile.name}`);
  }
  const version = Math.max(...ships.map((s) => s.listing.version)) + 1;
  const at = new Date().toISOString();
  for (const s of ships) {
    const m: SecretMessage = {
      v: 1, op, name, version, at, ship: s.key.fingerprint, restart,
      sealed: value ? seal(value, name, s.key.publicKey) : undefined,
    };
    await signAndApply(profile, s.root, s.d, JSON.stringify(m));
  }
  markUsed(home, profile.name);
  const where = `${ships.length} ship${ships.length === 1 ? '' : 's'}`;
  out(`${op === 'set' ? 'set' : 'unset'} ${name} in phleet ${profile.name} (version ${version}) on ${where}; ${restart
    ? 'every service rolls over to it now'
    : 'services pick it up at their next start (--no-restart)'}`);
  return 0;
}

async function signAndApply(profile: LoadedProfile, root: string, d: SecretDelivery, payload: string): Promise<void> {
  const signature = await signPayload(profile.keyFile, payload);
  await reach(root, d.apply({ payload, signature }));
}
