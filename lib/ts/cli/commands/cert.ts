// `starphleet cert add DOMAIN --cert FILE --key FILE`, `cert list` and
// `cert remove DOMAIN`: own certificates on every ship of the phleet,
// delivered the way secrets are (the key sealed to each ship's key, the
// change signed with the admiral key). The profile keeps a copy (the key
// sealed to the profile key) for ships added later or down now.
import { readFileSync } from 'node:fs';
import { UsageError } from '../../core/config.js';
import { loadProfile, markUsed, starphleetHome, type LoadedProfile } from '../../phleet/profile.js';
import { acrossShips, selectShips, shipTimeoutMs, type ShipHandle } from '../../phleet/select.js';
import { signPayload } from '../../secrets/admiral-sign.js';
import { AdmiralCerts, applyCertChange, listCerts, type CertChange } from '../../tls/admiral-certs.js';
import { domainProblem, ownCertProblem } from '../../tls/own-cert.js';
import type { CommandInput } from '../command.js';
import { Failure } from '../errors.js';
import { optionalProfile, out } from '../shared.js';
import { catchUpShips } from '../ship-secrets.js';

function domainArg(positionals: string[], usage: string): string {
  if (positionals.length !== 1) throw new UsageError(usage);
  const domain = positionals[0].toLowerCase();
  const bad = domainProblem(domain);
  if (bad) throw new UsageError(`${usage.split(':')[0]}: ${bad}`);
  return domain;
}

function readPem(flag: unknown, what: string): string {
  if (typeof flag !== 'string' || flag === '') throw new UsageError(`cert add: needs --${what} FILE`);
  try {
    return readFileSync(flag, 'utf8');
  } catch (err) {
    throw new Failure(`cert add: ${flag}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

export async function certAdd({ flags, positionals }: CommandInput): Promise<number> {
  const domain = domainArg(positionals, 'cert add: usage: starphleet cert add DOMAIN --cert FILE --key FILE');
  const cert = readPem(flags.cert, 'cert');
  const key = readPem(flags.key, 'key');
  const problem = ownCertProblem(domain, cert, key, Date.now());
  if (problem) throw new Failure(`cert add ${domain}: ${flags.cert as string}: ${problem}; nothing changed`);
  return change(flags, { op: 'add', domain, cert, key: Buffer.from(key) });
}

export async function certRemove({ flags, positionals }: CommandInput): Promise<number> {
  const domain = domainArg(positionals, 'cert remove: usage: starphleet cert remove DOMAIN');
  const profile = await loadProfile(starphleetHome(), flags.phleet as string | undefined);
  if (new AdmiralCerts(profile.dir).load().entries[domain]?.op !== 'add') {
    throw new Failure(`cert remove: ${domain} has no own certificate in phleet ${profile.name} (cert list shows what each ship holds)`);
  }
  return change(flags, { op: 'remove', domain });
}

/** Catch every ship up, then apply one change to those that answer. */
async function change(flags: CommandInput['flags'], what: Omit<CertChange, 'version' | 'at'>): Promise<number> {
  const home = starphleetHome();
  const profile = await loadProfile(home, flags.phleet as string | undefined);
  const ships = selectShips(flags, process.env, profile);
  const timeout = shipTimeoutMs(flags, process.env);
  const copy = new AdmiralCerts(profile.dir);
  await catchUpShips(profile, ships, timeout);
  const listed = await acrossShips(ships, (h) => listCerts(h.transport), timeout);
  const up = listed.filter((r) => r.ok && r.value);
  if (up.length === 0) throw new Failure(`cert ${what.op} ${what.domain}: no ship answered (${listed[0]?.error ?? 'no ship'}); nothing changed`);
  const version = Math.max(copy.load().version, ...up.map((r) => r.value?.version ?? 0)) + 1;
  const c: CertChange = { ...what, version, at: new Date().toISOString() };
  const sign = (payload: string): Promise<string> => signPayload(profile.keyFile, payload);
  const applied = await acrossShips(up.map((r) => r.ship), (h) => applyCertChange(h.transport, c, sign), timeout);
  const done = applied.filter((r) => r.ok);
  if (done.length === 0) throw new Failure(`cert ${what.op} ${what.domain}: ${applied[0]?.error ?? 'refused'}; nothing changed`);
  copy.record(c);
  markUsed(home, profile.name);
  const verb = what.op === 'add' ? 'added' : 'removed';
  if (ships.length > 1) {
    for (const r of applied) out(`${r.ship.label}: ${r.ok ? `${verb} (version ${version})` : `refused: ${r.error ?? ''}`}`);
    for (const r of listed.filter((x) => !x.ok)) out(`${r.ship.label}: unreachable (${r.error ?? ''}); it catches up the next time a command reaches it`);
  }
  out(`certificate for ${what.domain} ${verb} in phleet ${profile.name} (version ${version}) on ${done.length} ship${done.length === 1 ? '' : 's'}`);
  return done.length === ships.length ? 0 : 1;
}

export async function certList({ flags }: CommandInput): Promise<number> {
  // A ship named by --root needs no profile: its certificates are listed as they are.
  const profile: LoadedProfile | null = await optionalProfile(flags);
  const ships: ShipHandle[] = selectShips(flags, process.env, profile);
  const timeout = shipTimeoutMs(flags, process.env);
  if (profile) await catchUpShips(profile, ships, timeout);
  const listed = await acrossShips(ships, (h) => listCerts(h.transport), timeout);
  if (flags.json) {
    out(JSON.stringify({
      phleet: profile?.name ?? null,
      ships: listed.map((r) => ({ name: r.ship.label, ok: r.ok, error: r.error ?? null, certs: r.value?.certs ?? [] })),
    }, null, 2));
  } else {
    for (const r of listed) {
      if (!r.ok) { out(`${r.ship.label}  unreachable: ${r.error ?? ''}`); continue; }
      if (r.value?.certs.length === 0) out(`${r.ship.label}  (no certificates)`);
      for (const c of r.value?.certs ?? []) out(`${r.ship.label}  ${c.domain}  ${c.source}  valid until ${c.notAfter}`);
    }
  }
  return listed.every((r) => r.ok) ? 0 : 1;
}
