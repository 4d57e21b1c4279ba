// `starphleet remove ship NAME`: stop and uninstall a ship over ssh, and
// forget it (a local ship is only forgotten, once its agent is gone).
import { UsageError } from '../../core/config.js';
import { loadProfile, removeShipEntry, starphleetHome } from '../../phleet/profile.js';
import { handleFor, shipEntry, sshShipOf } from '../../phleet/select.js';
import { uninstallShip } from '../../phleet/ship-install.js';
import type { CommandInput } from '../command.js';
import { Failure } from '../errors.js';
import { out } from '../shared.js';

export async function removeShip({ flags, positionals }: CommandInput): Promise<number> {
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
