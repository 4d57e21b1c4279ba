// Helpers every command may use: printing a line, the local ship's control
// transport, and the phleet profile when there is one. Imports no command.
import { resolveRoot, type Flags } from '../core/config.js';
import { shipPaths } from '../core/paths.js';
import { loadProfile, profileNames, profileShipRoot, starphleetHome, type LoadedProfile } from '../phleet/profile.js';
import { LocalSocketTransport, type ShipTransport } from '../phleet/transport.js';

export function out(line: string): void {
  process.stdout.write(line + '\n');
}

/** The control socket of the ship this command is about: --root > STARPHLEET_ROOT > the phleet profile's ship > default. */
export function transportFor(flags: Flags): ShipTransport {
  const explicit = typeof flags.root === 'string' || Boolean(process.env.STARPHLEET_ROOT);
  const root = explicit ? resolveRoot(flags, process.env)
    : profileShipRoot(starphleetHome(), flags.phleet as string | undefined) ?? resolveRoot(flags, process.env);
  return new LocalSocketTransport(shipPaths(root).controlSocket);
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
