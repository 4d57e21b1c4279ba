// `starphleet run SERVICE_PATH -- COMMAND...`: COMMAND once in a fresh
// container of the service's serving release. The agent makes and starts the
// container (unrouted, not healed); the command runs in it as `attach` runs
// one (lxc-attach: stdio passed through, a pty on a terminal, the exit status
// returned); the container goes when it ends, or at the agent's deadline if
// this process dies first.
import { resolveRoot, UsageError } from '../../core/config.js';
import type { CommandInput } from '../command.js';
import { Failure } from '../errors.js';
import { transportFor } from '../shared.js';
import { attachContainer } from './attach.js';

export async function run({ flags, positionals, extra }: CommandInput): Promise<number> {
  if (positionals.length !== 1) throw new UsageError('run: needs exactly one SERVICE_PATH, then -- COMMAND');
  if (!positionals[0].startsWith('/')) throw new UsageError(`run: SERVICE_PATH must start with "/", got '${positionals[0]}'`);
  if (extra.length === 0) throw new UsageError('run: needs a COMMAND after --');
  if (process.getuid?.() !== 0) throw new Failure('run needs root (lxc-attach)');
  const path = positionals[0].length > 1 ? positionals[0].replace(/\/+$/, '') || '/' : positionals[0];
  const transport = transportFor(flags);
  const res = await transport.request({ cmd: 'run-start', path }, 120_000);
  if (!res.ok || typeof res.container !== 'string') throw new Failure(`run ${path}: ${res.error ?? 'the ship made no container'}`);
  const container = res.container;
  try {
    return await attachContainer(resolveRoot(flags, process.env), container, extra);
  } finally {
    await transport.request({ cmd: 'run-end', container }, 60_000).catch(() => undefined);
  }
}
