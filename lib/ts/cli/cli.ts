// The `starphleet` command line: find the command in the table, parse its
// options, run it, turn what it throws into an exit status and one line.
// Exit codes: 0 ok, 1 failure, 2 usage error. Never prompts.
import { parseArgs } from 'node:util';
import { UsageError, type Flags } from '../core/config.js';
import { ShipUnreachable } from '../phleet/transport.js';
import type { Command, CommandInput } from './command.js';
import { COMMANDS, GROUPS, HELP, helpFor } from './commands.js';
import { Failure } from './errors.js';
import { out } from './shared.js';
import { usageLines } from './usage-hint.js';

export async function main(argv: string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(usageLines(err.message, (c) => helpFor(c) !== ''));
      return 2;
    }
    if (err instanceof Failure || err instanceof ShipUnreachable) {
      process.stderr.write(`starphleet: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`starphleet: ${(err as Error).message.split('\n')[0]}\n`);
    return 1;
  }
}

export async function dispatch(argv: string[]): Promise<number> {
  const [word] = argv;
  if (word === undefined || word === '--help' || word === '-h') {
    out(HELP);
    return 0;
  }
  const { command, args } = findCommand(argv);
  const { own, extra } = command.splitArgs ? command.splitArgs(args) : { own: args, extra: [] };
  const input = parseInput(command, own, extra);
  if (!input) return 0;
  return command.run(input);
}

/** The command argv names (two words before one: `ship run`), and the arguments after its name. */
function findCommand(argv: string[]): { command: Command; args: string[] } {
  const [word, sub] = argv;
  const pair = sub === undefined ? undefined : COMMANDS.find((c) => c.name === `${word} ${sub}`);
  if (pair) return { command: pair, args: argv.slice(2) };
  const single = COMMANDS.find((c) => c.name === word || c.aliases?.includes(word));
  if (single) return { command: single, args: argv.slice(1) };
  const group = GROUPS.get(word);
  if (group) throw new UsageError(group(sub));
  throw new UsageError(`unknown command '${word}'`);
}

/** The command's options parsed; null when --help printed its help instead. */
function parseInput(command: Command, args: string[], extra: string[]): CommandInput | null {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...command.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${command.name}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (parsed.values.help) {
    out(command.help);
    return null;
  }
  const { positionals } = parsed;
  if (command.noPositionals && positionals.length > 0) throw new UsageError(`${command.name}: unexpected argument '${positionals[0]}'`);
  return { flags: parsed.values as Flags, positionals, extra };
}
