// What a command is: the entry of the command table (commands.ts) that
// dispatch (cli.ts) and help (help.ts) both read.
import type { Flags } from '../core/config.js';

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** The sections of `starphleet --help`, in order. */
export type Section = 'ship' | 'phleet' | 'secrets' | 'ships' | 'other';

/** What dispatch hands a command: its parsed options and arguments. */
export interface CommandInput {
  flags: Flags;
  positionals: string[];
  /** The arguments splitArgs kept away from option parsing. */
  extra: string[];
}

export interface Command {
  /** As typed: 'status', 'ship run', 'add ship'. */
  name: string;
  /** Other words that run it ('--version'). */
  aliases?: string[];
  /** Its line in `starphleet --help` (label defaults to the name); internal commands have none. */
  summary?: { section: Section; text: string; label?: string };
  /** `starphleet help NAME` and `NAME --help`; starts with "usage: starphleet NAME". */
  help: string;
  /** The parseArgs options (--help/-h is added to every command). */
  options: OptionSpec;
  /** Any argument left after the options is a usage error. */
  noPositionals?: boolean;
  /** Sets apart the arguments that are not options (a COMMAND after `--`, an action word) before parsing. */
  splitArgs?: (args: string[]) => { own: string[]; extra: string[] };
  /** Runs it (importing its module only then); resolves to the exit status. */
  run: (input: CommandInput) => Promise<number>;
}
