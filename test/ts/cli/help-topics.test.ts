import t from 'tap';
import { main } from '../../../lib/ts/cli/cli.js';
import { COMMANDS, GROUPS, HELP, helpFor } from '../../../lib/ts/cli/commands.js';

/** Runs main with stdout and stderr captured. */
async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const write = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = ((chunk: string) => { stdout += chunk; return true; }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => { stderr += chunk; return true; }) as typeof process.stderr.write;
  try {
    return { code: await main(argv), stdout, stderr };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}

t.test('every command in the table has its own help, and names are unique', async (t) => {
  t.ok(COMMANDS.length > 20, `${COMMANDS.length} commands`);
  t.equal(new Set(COMMANDS.map((c) => c.name)).size, COMMANDS.length);
  for (const c of COMMANDS) {
    t.ok(c.help.startsWith(`usage: starphleet ${c.name}`), `help of ${c.name} starts with its usage line`);
    t.equal(helpFor(c.name), c.help, `help ${c.name}`);
  }
});

t.test('--help lists exactly the commands with a summary', async (t) => {
  const listed = [...HELP.matchAll(/^ {2}([a-z][a-z-]*(?: [a-z][a-z-]*)?)(?: [A-Z]+)*\s{2,}/gm)].map((m) => m[1]);
  t.same(listed, COMMANDS.filter((c) => c.summary).map((c) => c.name));
  t.same(COMMANDS.filter((c) => !c.summary).map((c) => c.name), ['ship control', 'ship service']);
});

t.test('a group word shows every subcommand under it; help --help is help\'s own', async (t) => {
  for (const group of GROUPS.keys()) {
    const under = COMMANDS.filter((c) => c.name.startsWith(`${group} `));
    t.ok(under.length > 0, `group ${group} has commands`);
    t.equal(helpFor(group), under.map((c) => c.help).join('\n\n'), `help ${group}`);
  }
  t.equal(helpFor('--help'), 'usage: starphleet help COMMAND');
  t.equal(helpFor('-h'), 'usage: starphleet help COMMAND');
  t.equal(helpFor('nosuch'), '');
  t.equal(helpFor('constructor'), '');
});

t.test('NAME --help prints the help from the table and exits 0', async (t) => {
  for (const c of COMMANDS) {
    const words = c.name === 'ship service' ? ['ship', 'service', 'install'] : c.name.split(' ');
    const r = await run([...words, '--help']);
    t.same(r, { code: 0, stdout: c.help + '\n', stderr: '' }, `${c.name} --help`);
  }
  t.same(await run(['help', 'nudge']), { code: 0, stdout: helpFor('nudge') + '\n', stderr: '' });
  t.same(await run([]), { code: 0, stdout: HELP + '\n', stderr: '' });
});

t.test('dispatch rejects what is not in the table with exit 2', async (t) => {
  t.same(await run(['bogus']), { code: 2, stdout: '', stderr: "starphleet: unknown command 'bogus'\n(see 'starphleet --help')\n" });
  t.same(await run(['constructor']), { code: 2, stdout: '', stderr: "starphleet: unknown command 'constructor'\n(see 'starphleet --help')\n" });
  t.same(await run(['help', 'bogus']), { code: 2, stdout: '', stderr: "starphleet: help: no command 'bogus'\n(see 'starphleet help help')\n" });
  t.same(await run(['ship', 'bogus']), { code: 2, stdout: '', stderr: "starphleet: ship: unknown subcommand 'bogus'\n(see 'starphleet help ship')\n" });
  t.same(await run(['add', 'bogus']), { code: 2, stdout: '', stderr: "starphleet: add: did you mean 'add ship'?\n(see 'starphleet help add')\n" });
  t.same(await run(['status', '--bogus']), { code: 2, stdout: '', stderr: "starphleet: status: Unknown option '--bogus'\n(see 'starphleet help status')\n" });
  t.same(await run(['status', 'extra']), { code: 2, stdout: '', stderr: "starphleet: status: unexpected argument 'extra'\n(see 'starphleet help status')\n" });
  t.same(await run(['version', 'extra']), { code: 2, stdout: '', stderr: "starphleet: version: unexpected argument 'extra'\n(see 'starphleet help version')\n" });
});
