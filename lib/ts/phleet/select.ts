// The ships a command reaches, and running one thing on each of them in
// parallel with a bound. A ship is its root plus, for a remote one, an ssh
// target; local ships (no target) are reached through their control socket.
// Selection: --root or STARPHLEET_ROOT (that one local ship) > the phleet
// profile's ships (narrowed with --ship NAME) > the default local root.
import { join } from 'node:path';
import { DEFAULT_ROOT, UsageError, type Flags } from '../core/config.js';
import { shipPaths } from '../core/paths.js';
import { parseTarget, SshTransport, type SshShip } from './ssh-transport.js';
import { LocalSocketTransport, ShipUnreachable, type ShipTransport } from './transport.js';

export interface ShipEntry {
  name: string;
  root: string;
  target?: string;     // [user@]host[:port]: a remote ship, reached over ssh
  identity?: string;   // ssh private key (default: the phleet's admiral key)
  httpPort?: number;   // its front door, for `balancer` (default 80)
  httpsPort?: number;  // its HTTPS port, for `balancer --format nginx-stream` (default 443)
}

/** Profiles from before remote ships list bare roots. */
export type ShipRef = string | ShipEntry;

export function shipEntry(ref: ShipRef): ShipEntry {
  return typeof ref === 'string' ? { name: ref, root: ref } : ref;
}

export interface ProfileLike {
  name: string;
  dir: string;
  keyFile: string;
  ships: ShipRef[];
}

export interface ShipHandle {
  entry: ShipEntry;
  label: string;            // what output lines start with
  transport: ShipTransport;
}

export function sshShipOf(entry: ShipEntry, profile: ProfileLike | null): SshShip {
  if (!entry.target) throw new Error(`ship ${entry.name} is local, not reached over ssh`);
  return {
    ...parseTarget(entry.target),
    root: entry.root,
    identity: entry.identity ?? profile?.keyFile,
    knownHosts: profile ? join(profile.dir, 'known_hosts') : undefined,
  };
}

export function handleFor(entry: ShipEntry, profile: ProfileLike | null): ShipHandle {
  const transport: ShipTransport = entry.target
    ? new SshTransport(sshShipOf(entry, profile))
    : new LocalSocketTransport(shipPaths(entry.root).controlSocket);
  return { entry, label: entry.name, transport };
}

/** The ships this command is about. */
export function selectShips(flags: Flags, env: NodeJS.ProcessEnv, profile: ProfileLike | null): ShipHandle[] {
  if (typeof flags.root === 'string') return [handleFor({ name: flags.root, root: flags.root }, profile)];
  if (env.STARPHLEET_ROOT) return [handleFor({ name: env.STARPHLEET_ROOT, root: env.STARPHLEET_ROOT }, profile)];
  const entries = profile ? profile.ships.map(shipEntry) : [];
  if (entries.length === 0) return [handleFor({ name: DEFAULT_ROOT, root: DEFAULT_ROOT }, profile)];
  const wanted = typeof flags.ship === 'string' ? flags.ship : undefined;
  if (wanted === undefined) return entries.map((e) => handleFor(e, profile));
  const found = entries.filter((e) => e.name === wanted);
  if (found.length === 0) throw new UsageError(`no ship '${wanted}' in phleet ${profile?.name ?? ''} (ships: ${entries.map((e) => e.name).join(', ')})`);
  return found.map((e) => handleFor(e, profile));
}

export interface ShipOutcome<T> {
  ship: ShipHandle;
  ok: boolean;
  value?: T;
  error?: string;
}

/** fn on every ship at once; a ship that does not finish within timeoutMs is reported, not waited on. */
export async function acrossShips<T>(ships: ShipHandle[], fn: (ship: ShipHandle) => Promise<T>, timeoutMs: number): Promise<Array<ShipOutcome<T>>> {
  return Promise.all(ships.map(async (ship): Promise<ShipOutcome<T>> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ShipUnreachable(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    try {
      const value = await Promise.race([fn(ship), timeout]);
      return { ship, ok: true, value };
    } catch (err) {
      return { ship, ok: false, error: (err as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }));
}

/** --timeout SECONDS (default STARPHLEET_SHIP_TIMEOUT, else 30) in ms. */
export function shipTimeoutMs(flags: Flags, env: NodeJS.ProcessEnv): number {
  const text = typeof flags.timeout === 'string' ? flags.timeout : env.STARPHLEET_SHIP_TIMEOUT ?? '30';
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 3600) throw new UsageError(`--timeout must be 1-3600 seconds, got '${text}'`);
  return Number(text) * 1000;
}
