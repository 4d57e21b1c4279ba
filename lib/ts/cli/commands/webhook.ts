// `starphleet webhook secret -` (the value from stdin) and `webhook secret
// --remove`: the secret every ship checks a git host's push hook against
// (POST /starphleet/hooks/git). It travels like a phleet secret (sealed to
// each ship, signed by the admiral) but is a ship setting: no service sees
// it and setting it restarts nothing.
import { UsageError } from '../../core/config.js';
import { HOOK_SECRET } from '../../secrets/crypto.js';
import type { CommandInput } from '../command.js';
import { changeSecret, readStdin } from './set.js';

/** A shorter secret is guessable by anyone who can reach the hook. */
const MIN_SECRET_BYTES = 16;

export async function webhookSecret({ flags, positionals }: CommandInput): Promise<number> {
  if (flags.remove) {
    if (positionals.length !== 0) throw new UsageError('webhook secret --remove: takes no value');
    return changeSecret('unset', HOOK_SECRET, undefined, flags, false);
  }
  if (positionals.length !== 1 || positionals[0] !== '-') {
    throw new UsageError('webhook secret: give - and the secret on stdin (never on the command line), or --remove');
  }
  const value = Buffer.from((await readStdin()).toString('utf8').replace(/\r?\n$/, ''), 'utf8');
  if (value.length < MIN_SECRET_BYTES) throw new UsageError(`webhook secret: at least ${MIN_SECRET_BYTES} bytes, got ${value.length} (e.g. openssl rand -hex 32)`);
  return changeSecret('set', HOOK_SECRET, value, flags, false);
}
