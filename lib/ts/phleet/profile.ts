// Local phleet profiles: $STARPHLEET_HOME (default ~/.starphleet) holds one
// folder per phleet with its headquarters URL, the ships it knows and its
// admiral key (an ordinary OpenSSH private key, mode 0600), plus the name of
// the last-used phleet.
//   STARPHLEET_HOME/phleets/NAME/profile.json
//   STARPHLEET_HOME/phleets/NAME/admiral_key      (0600) and admiral_key.pub
//   STARPHLEET_HOME/last-used
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from '../core/config.js';
import { publicKeyLines } from '../secrets/admiral-sign.js';
import { runScript } from '../core/sh.js';
import { shipEntry, type ShipEntry, type ShipRef } from './select.js';

export interface Profile {
  name: string;
  headquarters: string;
  ships: ShipRef[];     // the phleet's ships: a bare root (local) or an entry (remote over ssh)
  createdAt: string;
}

export interface LoadedProfile extends Profile {
  dir: string;
  keyFile: string;
  publicKey: string;    // the OpenSSH public key line
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' };

export function starphleetHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.STARPHLEET_HOME || join(homedir(), '.starphleet');
}

function phleetsDir(home: string): string {
  return join(home, 'phleets');
}

export function profileNames(home: string): string[] {
  const dir = phleetsDir(home);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => existsSync(join(dir, n, 'profile.json'))).sort();
}

/** The public key of a private key file, or a one-line reason it is not usable (never prompts). */
export async function publicOfKeyFile(keyFile: string): Promise<string> {
  if (!existsSync(keyFile)) throw new Error(`key file ${keyFile} does not exist`);
  const r = await runScript('ssh-keygen', ['-y', '-P', '', '-f', keyFile], { env: ENV, timeoutSeconds: 30 });
  const line = publicKeyLines(r.stdout)[0];
  if (r.code !== 0 || !line) {
    const why = r.stderr.trim().split('\n').filter(Boolean).pop() ?? 'not an OpenSSH private key';
    throw new Error(`${keyFile} is not a usable OpenSSH private key (ed25519 or RSA, without a passphrase): ${why}`);
  }
  return line;
}

function writeProfile(dir: string, p: Profile): void {
  const file = join(dir, 'profile.json');
  writeFileSync(`${file}.tmp`, JSON.stringify(p, null, 2) + '\n', { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

export async function createProfile(home: string, name: string, headquarters: string, keyFile?: string): Promise<LoadedProfile> {
  if (!NAME.test(name)) throw new UsageError(`init: phleet name '${name}' must be letters, digits, '.', '_' or '-' (at most 63)`);
  const dir = join(phleetsDir(home), name);
  if (existsSync(join(dir, 'profile.json'))) throw new Error(`phleet '${name}' already exists (${dir})`);
  const source = keyFile ? resolve(keyFile) : null;
  if (source) await publicOfKeyFile(source); // refuse a bad key before anything is written
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(home, 0o700);
  const key = join(dir, 'admiral_key');
  if (source) {
    copyFileSync(source, key);
    chmodSync(key, 0o600);
  } else {
    const r = await runScript('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `starphleet-admiral@${name}`, '-f', key], { env: ENV, timeoutSeconds: 30 });
    if (r.code !== 0) throw new Error(`ssh-keygen could not make a key: ${r.stderr.trim()}`);
  }
  const pub = await publicOfKeyFile(key);
  writeFileSync(`${key}.pub`, `${pub}\n`, { mode: 0o644 });
  writeProfile(dir, { name, headquarters, ships: [], createdAt: new Date().toISOString() });
  return loadProfile(home, name);
}

/** --phleet NAME, else the only phleet, else the last-used one. */
export async function loadProfile(home: string, wanted?: string): Promise<LoadedProfile> {
  const names = profileNames(home);
  let name = wanted;
  if (name === undefined) {
    const last = existsSync(join(home, 'last-used')) ? readFileSync(join(home, 'last-used'), 'utf8').trim() : '';
    if (names.length === 1) name = names[0];
    else if (names.includes(last)) name = last;
    else if (names.length === 0) throw new Error(`no phleet profile in ${home}: run 'starphleet init NAME --headquarters URL' first`);
    else throw new UsageError(`several phleets (${names.join(', ')}): choose one with --phleet NAME`);
  }
  if (!names.includes(name)) {
    throw new Error(`unknown phleet '${name}' (${names.length ? `known: ${names.join(', ')}` : `none in ${home}`})`);
  }
  const dir = join(phleetsDir(home), name);
  const p = JSON.parse(readFileSync(join(dir, 'profile.json'), 'utf8')) as Profile;
  const keyFile = join(dir, 'admiral_key');
  const pubFile = `${keyFile}.pub`;
  const publicKey = existsSync(pubFile) ? publicKeyLines(readFileSync(pubFile, 'utf8'))[0] : undefined;
  return { ...p, dir, keyFile, publicKey: publicKey ?? await publicOfKeyFile(keyFile) };
}

export function rememberShip(p: LoadedProfile, root: string): void {
  if (p.ships.some((x) => shipEntry(x).root === root && !shipEntry(x).target)) return;
  p.ships.push(root);
  saveShips(p);
}

function saveShips(p: LoadedProfile): void {
  writeProfile(p.dir, { name: p.name, headquarters: p.headquarters, ships: p.ships, createdAt: p.createdAt });
}

/** Add or replace (by name) a ship of the phleet. */
export function addShipEntry(p: LoadedProfile, entry: ShipEntry): void {
  const i = p.ships.findIndex((x) => shipEntry(x).name === entry.name);
  if (i === -1) p.ships.push(entry);
  else p.ships[i] = entry;
  saveShips(p);
}

export function removeShipEntry(p: LoadedProfile, name: string): void {
  p.ships = p.ships.filter((x) => shipEntry(x).name !== name);
  saveShips(p);
}

export function markUsed(home: string, name: string): void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  writeFileSync(join(home, 'last-used'), `${name}\n`);
}

/**
 * The ship root a phleet profile points at, for commands that reach one
 * ship (status, nudge): null when there is no profile to ask (or several and
 * none chosen). An unknown --phleet is an error.
 */
export function profileShipRoot(home: string, wanted?: string): string | null {
  const names = profileNames(home);
  let name = wanted;
  if (name !== undefined && !names.includes(name)) {
    throw new Error(`unknown phleet '${name}' (${names.length ? `known: ${names.join(', ')}` : `none in ${home}`})`);
  }
  if (name === undefined) {
    const last = existsSync(join(home, 'last-used')) ? readFileSync(join(home, 'last-used'), 'utf8').trim() : '';
    name = names.length === 1 ? names[0] : names.includes(last) ? last : undefined;
  }
  if (name === undefined) return null;
  const p = JSON.parse(readFileSync(join(phleetsDir(home), name, 'profile.json'), 'utf8')) as Profile;
  // Only a local ship has a control socket on this machine.
  const local = p.ships.map(shipEntry).find((e) => !e.target);
  return local?.root ?? null;
}
