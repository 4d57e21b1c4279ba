// The phleet commands: `add ship`, `remove ship`, `ships`, `balancer`, and
// `status`/`nudge` across every ship of the phleet (in parallel, each ship
// bounded by --timeout; a ship that is down is reported, not waited on).
import { chmodSync, copyFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { privatize } from './admirals.js';
import { assets } from '../core/assets.js';
import { balancerShipName, renderBalancer } from '../nginx/balancer.js';
import { UsageError, type Flags } from '../core/config.js';
import { catchUpShips } from './secrets.js';
import { acrossShips, handleFor, selectShips, shipEntry, shipTimeoutMs, sshShipOf, type ShipEntry, type ShipHandle } from '../phleet/select.js';
import { addShipEntry, loadProfile, markUsed, profileNames, removeShipEntry, starphleetHome, type LoadedProfile } from '../phleet/profile.js';
import { TransportDelivery } from '../secrets/delivery.js';
import { AdmiralCopy } from '../secrets/sync.js';
import { installShip, uninstallShip, type ShipSettings } from '../phleet/ship-install.js';
import { parseTarget, validateRemoteRoot } from '../phleet/ssh-transport.js';
import { formatStatus, type ShipStatus } from '../agent/status.js';
import { Failure } from './cli.js';
import type { ControlResponse } from '../phleet/transport.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

function out(line: string): void {
  process.stdout.write(line + '\n');
}

/** The profile when there is one (an unknown --phleet is an error). */
export async function optionalProfile(flags: Flags): Promise<LoadedProfile | null> {
  const home = starphleetHome();
  const wanted = typeof flags.phleet === 'string' ? flags.phleet : undefined;
  const explicitShip = typeof flags.root === 'string' || Boolean(process.env.STARPHLEET_ROOT);
  if (explicitShip && wanted === undefined) return null;
  if (profileNames(home).length === 0 && wanted === undefined) return null;
  try {
    return await loadProfile(home, wanted);
  } catch (err) {
    // --root names the ship: the profile is then only a label.
    if (explicitShip) return null;
    throw err;
  }
}

// ------------------------------------------------------------ add / remove

function initKind(flag: string | boolean | undefined): ShipSettings['init'] {
  if (flag === undefined) return undefined;
  if (flag === 'auto' || flag === 'systemd' || flag === 'upstart' || flag === 'keepalive') return flag;
  throw new UsageError(`add ship: --init must be auto, systemd, upstart or keepalive, got '${String(flag)}'`);
}

export async function addShip(flags: Flags, positionals: string[]): Promise<number> {
  if (positionals.length !== 1) throw new UsageError('add ship: needs exactly one TARGET ([user@]host[:port])');
  const target = positionals[0];
  try {
    parseTarget(target);
  } catch (err) {
    throw new UsageError(`add ship: ${(err as Error).message}`);
  }
  const home = starphleetHome();
  const profile = await loadProfile(home, typeof flags.phleet === 'string' ? flags.phleet : undefined);
  const root = typeof flags.root === 'string' ? flags.root : '/var/starphleet';
  validateRemoteRoot(root);
  const t = parseTarget(target);
  const name = typeof flags.name === 'string' ? flags.name : t.host.replace(/^\[|\]$/g, '').replace(/[^A-Za-z0-9_.-]/g, '-') + (root === '/var/starphleet' ? '' : `-${root.split('/').filter(Boolean).pop() ?? 'root'}`);
  if (!NAME.test(name)) throw new UsageError(`add ship: ship name '${name}' must be letters, digits, '.', '_' or '-' (choose one with --name)`);
  const identity = typeof flags.identity === 'string' ? resolve(flags.identity) : undefined;
  if (identity && !existsSync(identity)) throw new UsageError(`add ship: --identity ${identity}: no such file`);
  const httpPort = typeof flags.port === 'string' ? Number(flags.port) : 80;
  if (!Number.isInteger(httpPort) || httpPort < 1 || httpPort > 65535) throw new UsageError(`add ship: --port must be 1-65535, got '${String(flags.port)}'`);
  const settings: ShipSettings = {
    headquarters: profile.headquarters,
    httpPort,
    pulseSeconds: typeof flags.pulse === 'string' ? Number(flags.pulse) : undefined,
    bridge: typeof flags.bridge === 'string' ? flags.bridge : undefined,
    subnet: typeof flags.subnet === 'string' ? flags.subnet : undefined,
    nat: typeof flags.nat === 'string' ? ['on', '1', 'true'].includes(flags.nat) : undefined,
    base: typeof flags.base === 'string' ? flags.base : undefined,
    init: initKind(flags.init),
    awaitSecrets: new AdmiralCopy(profile.dir).load().version || undefined,
  };
  if (settings.pulseSeconds !== undefined && (!Number.isInteger(settings.pulseSeconds) || settings.pulseSeconds < 1)) {
    throw new UsageError(`add ship: --pulse must be a whole number of seconds, got '${String(flags.pulse)}'`);
  }
  const entry: ShipEntry = { name, root, target, identity, httpPort };
  const say = (line: string): void => out(`${name}: ${line}`);
  await installShip(sshShipOf(entry, profile), settings, say);
  // Enroll the phleet's admiral key through the ship's root-only channel,
  // then hand it the current secret set.
  const handle = handleFor(entry, profile);
  const delivery = new TransportDelivery(handle.transport, `ship ${name}`);
  const enrolled = await delivery.enroll(profile.publicKey);
  say(`admiral key ${enrolled.added ? 'enrolled' : 'already trusted'}`);
  addShipEntry(profile, entry);
  const delivered = (await catchUpShips(profile, [handle], 120_000)).get(handle) ?? 0;
  say(`secrets: ${delivered} change${delivered === 1 ? '' : 's'} delivered`);
  const privKey = join(profile.dir, 'privatize_key');
  if (existsSync(privKey)) {
    await privatize(handle.transport, {}, [privKey], (line) => say(line));
  }
  markUsed(home, profile.name);
  out(`ship ${name} added to phleet ${profile.name} (${target}, root ${root})`);
  return 0;
}

export async function removeShip(flags: Flags, positionals: string[]): Promise<number> {
  if (positionals.length !== 1) throw new UsageError('remove ship: needs exactly one ship NAME (see `starphleet ships`)');
  const home = starphleetHome();
  const profile = await loadProfile(home, typeof flags.phleet === 'string' ? flags.phleet : undefined);
  const entry = profile.ships.map(shipEntry).find((e) => e.name === positionals[0]);
  if (!entry) throw new Failure(`no ship '${positionals[0]}' in phleet ${profile.name} (ships: ${profile.ships.map((x) => shipEntry(x).name).join(', ') || 'none'})`);
  if (!entry.target) {
    // A local ship (remembered by `init --root`): forgotten once its agent is
    // gone; a running one is stopped by whoever runs it, not over ssh.
    const running = await handleFor(entry, profile).transport.request({ cmd: 'status' }, 5000).then((r) => r.ok, () => false);
    if (running) throw new Failure(`ship ${entry.name} is the local ship and its agent runs: stop it (and 'starphleet ship down --root ${entry.root}'), then 'remove ship' forgets it`);
    removeShipEntry(profile, entry.name);
    out(`ship ${entry.name} (local, no agent running) forgotten by phleet ${profile.name}; its root is left as it is`);
    return 0;
  }
  await uninstallShip(sshShipOf(entry, profile), (line) => out(`${entry.name}: ${line}`));
  removeShipEntry(profile, entry.name);
  out(`ship ${entry.name} removed from phleet ${profile.name}`);
  return 0;
}

// ------------------------------------------------------------------ ships

export async function ships(flags: Flags): Promise<number> {
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
    const secrets = await new TransportDelivery(h.transport, `ship ${h.label}`).list();
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

// --------------------------------------------------------------- balancer

export async function balancer(flags: Flags): Promise<number> {
  const profile = await loadProfile(starphleetHome(), typeof flags.phleet === 'string' ? flags.phleet : undefined);
  const format = typeof flags.format === 'string' ? flags.format : 'nginx';
  if (format !== 'nginx' && format !== 'haproxy') throw new UsageError(`balancer: --format must be nginx or haproxy, got '${format}'`);
  const listen = typeof flags.listen === 'string' ? flags.listen : '80';
  const entries = profile.ships.map(shipEntry);
  // A local ship (remembered by `init --root`) is named by its root, and its
  // port is not in the profile: ask the ship itself.
  const localPorts = await localHttpPorts(entries.filter((e) => !e.target && e.httpPort === undefined), profile, shipTimeoutMs(flags, process.env));
  const shipsIn = entries.map((e) => ({
    name: e.target ? e.name : balancerShipName(e.name),
    host: e.target ? parseTarget(e.target).host : '127.0.0.1',
    httpPort: e.httpPort ?? localPorts.get(e.root) ?? 80,
  }));
  try {
    process.stdout.write(renderBalancer({ phleet: profile.name, format, listen, ships: shipsIn }, assets().templates));
  } catch (err) {
    throw new Failure(`balancer: ${(err as Error).message}`);
  }
  return 0;
}

async function localHttpPorts(entries: ShipEntry[], profile: LoadedProfile, timeoutMs: number): Promise<Map<string, number>> {
  const ports = new Map<string, number>();
  const results = await acrossShips(entries.map((e) => handleFor(e, profile)), async (h) => {
    const res = await h.transport.request({ cmd: 'status' }, timeoutMs);
    const port = (res.ship as { httpPort?: unknown } | undefined)?.httpPort;
    if (!res.ok || typeof port !== 'number') throw new Error(res.error ?? 'status gave no HTTP port');
    return port;
  }, timeoutMs);
  for (const r of results) {
    if (!r.ok || r.value === undefined) throw new Failure(`balancer: ship ${r.ship.label}: cannot learn its HTTP port (${r.error ?? 'no answer'})`);
    ports.set(r.ship.entry.root, r.value);
  }
  return ports;
}

// ------------------------------------------------- status, nudge everywhere

export async function phleetStatus(flags: Flags): Promise<number> {
  const profile = await optionalProfile(flags);
  const hs = selectShips(flags, process.env, profile);
  const timeout = shipTimeoutMs(flags, process.env);
  if (profile) await catchUpShips(profile, hs, timeout);
  const results = await acrossShips(hs, async (h) => {
    const res = await h.transport.request({ cmd: 'status' }, timeout);
    if (!res.ok) throw new Error(res.error ?? 'status failed');
    return { ship: res.ship, services: res.services } as ShipStatus;
  }, timeout);
  const anyFailed = results.some((r) => !r.ok || (r.value?.services.some((s) => s.state === 'failed') ?? false));
  if (hs.length === 1) {
    const r = results[0];
    if (!r.ok || !r.value) throw new Failure(r.error?.startsWith('no ') || r.error?.includes(hs[0].label) ? r.error : `${hs[0].transport.describe}: ${r.error ?? ''}`);
    out(flags.json ? JSON.stringify(r.value, null, 2) : formatStatus(r.value));
    return anyFailed ? 1 : 0;
  }
  if (flags.json) {
    out(JSON.stringify({
      phleet: profile?.name ?? null,
      ships: results.map((r) => ({ name: r.ship.label, target: r.ship.entry.target ?? null, ok: r.ok, error: r.error ?? null, status: r.value ?? null })),
    }, null, 2));
    return anyFailed ? 1 : 0;
  }
  for (const r of results) {
    out(`== ${r.ship.label}${r.ship.entry.target ? ` (${r.ship.entry.target})` : ''}`);
    out(r.ok && r.value ? formatStatus(r.value) : `unreachable: ${r.error ?? ''}`);
  }
  return anyFailed ? 1 : 0;
}

export async function phleetNudge(flags: Flags): Promise<number> {
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

// -------------------------------------------------------------- privatize

/**
 * `privatize KEY` on every ship; the profile keeps a copy (0600) so that
 * ships added later get it too.
 */
export async function phleetPrivatize(flags: Flags, positionals: string[]): Promise<number> {
  if (positionals.length !== 1) throw new UsageError('privatize: needs exactly one PRIVATE_KEY_FILE');
  const profile = await optionalProfile(flags);
  const hs = selectShips(flags, process.env, profile);
  const results = await acrossShips(hs, (h) => privatize(h.transport, flags, positionals, (line) => out(hs.length > 1 ? `${h.label}: ${line}` : line)), shipTimeoutMs(flags, process.env));
  const ok = results.filter((r) => r.ok).length;
  for (const r of results) if (!r.ok) process.stderr.write(`starphleet: ${hs.length > 1 ? `${r.ship.label}: ` : ''}${r.error ?? ''}\n`);
  if (profile && ok > 0) {
    const copy = join(profile.dir, 'privatize_key');
    copyFileSync(positionals[0], copy);
    chmodSync(copy, 0o600);
  }
  return ok === results.length ? 0 : 1;
}
