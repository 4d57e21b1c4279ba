// `starphleet logs [SERVICE_PATH]`: of one ship, or of the phleet's ships merged.
import { selectShips, shipTimeoutMs } from '../../phleet/select.js';
import type { CommandInput } from '../command.js';
import { phleetLogs } from '../logs.js';
import { optionalProfile } from '../shared.js';

export async function logs({ flags, positionals }: CommandInput): Promise<number> {
  const ships = selectShips(flags, process.env, await optionalProfile(flags));
  return phleetLogs(ships, flags, positionals, shipTimeoutMs(flags, process.env));
}
