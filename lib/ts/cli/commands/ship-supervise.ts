// `ship supervise NAME`: holds one container's output and exit status
// (started detached by the agent); --secrets-stdin passes the secrets on fd 3.
import { assets } from '../../core/assets.js';
import { resolveRoot, UsageError } from '../../core/config.js';
import { shipPaths } from '../../core/paths.js';
import { reachableRoot } from '../../core/reachable-root.js';
import { readSecrets, supervise } from '../../container/supervisor.js';
import type { CommandInput } from '../command.js';

export async function shipSupervise({ flags, positionals }: CommandInput): Promise<number> {
  if (positionals.length !== 1) throw new UsageError('ship supervise: needs exactly one container NAME');
  const secrets = flags['secrets-stdin'] ? await readSecrets(process.stdin) : Buffer.alloc(0);
  return supervise(shipPaths(reachableRoot(resolveRoot(flags, process.env))), assets().sh, positionals[0], ['/starphleet/app-start', '--secrets-fd', '3'], secrets);
}
