// `starphleet --help` and `starphleet help CMD`, rendered from a command
// table (commands.ts binds them to the one table).
import type { Command, Section } from './command.js';
import { VERSION } from './version.js';

const HEADINGS: Record<Section, string> = {
  ship: 'Ship (run on the machine that serves):',
  phleet: 'Phleet:',
  secrets: 'Phleet profile and secrets:',
  ships: 'Many ships:',
  other: 'Other:',
};

/** The overview: every command with a summary, under its section's heading. */
export function overviewOf(commands: readonly Command[]): string {
  // One column for every summary: the longest label and two spaces.
  const width = Math.max(17, ...commands.filter((c) => c.summary).map((c) => (c.summary?.label ?? c.name).length + 2));
  const sections = (Object.keys(HEADINGS) as Section[]).map((section) => [
    HEADINGS[section],
    ...commands.filter((c) => c.summary?.section === section)
      .map((c) => `  ${(c.summary?.label ?? c.name).padEnd(width)}${c.summary?.text ?? ''}`),
  ].join('\n'));
  return `starphleet ${VERSION} — container-based continuous deployment from a git headquarters

usage: starphleet COMMAND [OPTIONS]

${sections.join('\n\n')}

Every command that talks to ships finds them the same way:
  --root DIR > STARPHLEET_ROOT > the phleet profile's ships (--phleet NAME,
  narrowed with --ship NAME) > /var/starphleet
Commands across several ships run on all of them at once; a ship that does
not answer within --timeout SECONDS (default 30, STARPHLEET_SHIP_TIMEOUT) is
reported, and the exit status is 1.

Exit status: 0 ok, 1 failure, 2 usage error.`;
}

/**
 * One command's help; a group word (`ship`, `add`, `remove`) gives every
 * subcommand under it; `--help` and `-h` give help's own; '' when none.
 */
export function helpIn(commands: readonly Command[], topic: string): string {
  const name = topic === '--help' || topic === '-h' ? 'help' : topic;
  const exact = commands.find((c) => c.name === name);
  if (exact) return exact.help;
  return commands.filter((c) => c.name.startsWith(`${name} `)).map((c) => c.help).join('\n\n');
}
