// `starphleet attach SERVICE_PATH [-- COMMAND...]`: a shell (or a command)
// in the service's serving container, as the app user with the app's
// environment (lib/sh/app-attach). lxc-attach itself provides the pseudo
// terminal: when stdin/stdout are a terminal it allocates a pty pair, puts
// the container side on the command, forwards the window size (and its
// changes, SIGWINCH) and returns the command's exit status, which attach
// passes on. Without a terminal (scripts, pipes) the command gets plain pipes.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assets } from '../../core/assets.js';
import { secretsExportLinesFor } from '../../secrets/store.js';
import { shipPaths } from '../../core/paths.js';
import { reachableRoot } from '../../core/reachable-root.js';
import type { ShipStatus } from '../../agent/status.js';
import { resolveRoot, UsageError } from '../../core/config.js';
import type { ShipTransport } from '../../phleet/transport.js';
import type { CommandInput } from '../command.js';
import { Failure } from '../errors.js';
import { transportFor } from '../shared.js';

/** `extra` is the COMMAND after `--` (the table sets it apart before parsing). */
export async function attach({ flags, positionals, extra }: CommandInput): Promise<number> {
  if (positionals.length !== 1) throw new UsageError('attach: needs exactly one SERVICE_PATH (then optionally -- COMMAND)');
  if (!positionals[0].startsWith('/')) throw new UsageError(`attach: SERVICE_PATH must start with "/", got '${positionals[0]}'`);
  return attachTo(transportFor(flags), resolveRoot(flags, process.env), positionals[0], extra);
}

async function attachTo(transport: ShipTransport, root: string, service: string, command: string[]): Promise<number> {
  const res = await transport.request({ cmd: 'status' });
  if (!res.ok) throw new Failure(res.error ?? 'status failed');
  const status = res as unknown as ShipStatus;
  // `/api/` names the service at `/api`, as in a URL.
  const wanted = service.length > 1 ? service.replace(/\/+$/, '') || '/' : service;
  const s = status.services.find((x) => x.path === wanted);
  if (!s) throw new Failure(`no service at ${service} on this ship`);
  if (!s.container) throw new Failure(`service ${service} has no serving container (state ${s.state}${s.error ? `: ${s.error}` : ''})`);
  if (process.getuid?.() !== 0) throw new Failure('attach needs root (lxc-attach)');
  return attachContainer(root, s.container, command);
}

/** COMMAND (default: bash) as the app user in a running container of the ship at root; its exit status. */
export async function attachContainer(root: string, container: string, command: string[]): Promise<number> {
  const script = readFileSync(join(assets().shContainer, 'app-attach'), 'utf8');
  const args = [
    '-P', shipPaths(reachableRoot(root)).lxcpath, '-n', container, '--clear-env',
    '--set-var', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    '--set-var', `TERM=${process.env.TERM || 'dumb'}`,
    '--set-var', 'LANG=C.UTF-8',
    '--', '/bin/bash', '-c', script, 'app-attach', ...command,
  ];
  // The app's secrets, decrypted here in memory (attach runs as root on the
  // ship, which holds the key) and handed over on a pipe that app-attach
  // reads as fd 4, the way app-start gets them: never a file, never argv.
  const secrets = secretsExportLinesFor(root);
  const child = spawn('lxc-attach', args, { stdio: ['inherit', 'inherit', 'inherit', 'ignore', 'pipe'] });
  const pipe = child.stdio[4] as NodeJS.WritableStream | null;
  pipe?.on('error', () => undefined);
  pipe?.end(secrets);
  // The terminal delivers ^C to the command in the container; attach only waits.
  const ignore = (): void => undefined;
  process.on('SIGINT', ignore);
  process.on('SIGQUIT', ignore);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.on('error', (err) => reject(new Failure(`cannot run lxc-attach: ${err.message}`)));
      child.on('close', (code, signal) => resolve(code ?? (signal ? 128 + (({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 0) : 1)));
    });
  } finally {
    process.off('SIGINT', ignore);
    process.off('SIGQUIT', ignore);
  }
}
