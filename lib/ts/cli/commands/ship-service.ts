// `ship service install|uninstall`: used by `add ship`/`remove ship` on the
// ship itself to run the agent under the host's init.
import { resolveRoot } from '../../core/config.js';
import { shipService as toInit } from '../../phleet/ship-service.js';
import type { CommandInput } from '../command.js';

export async function shipService({ flags, extra }: CommandInput): Promise<number> {
  return toInit(extra[0] === 'install' ? 'install' : 'uninstall', resolveRoot(flags, process.env));
}
