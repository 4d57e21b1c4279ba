import t from 'tap';
import { HELP, helpFor } from '../../../lib/ts/cli/help.js';

// Every command the top-level --help lists answers `help CMD`; a group word
// (`ship`, `add`, `remove`) shows its subcommands; `help --help` is help's own.
t.test('help topics', async (t) => {
  const listed = [...HELP.matchAll(/^ {2}([a-z][a-z-]*(?: [a-z][a-z-]*)?)(?: [A-Z]+)*\s{2,}/gm)].map((m) => m[1]);
  t.ok(listed.length > 15, `found the listed commands (${listed.join(', ')})`);
  for (const cmd of listed) t.not(helpFor(cmd), '', `help ${cmd}`);
  t.match(helpFor('add'), /usage: starphleet add ship/);
  t.match(helpFor('remove'), /usage: starphleet remove ship/);
  t.match(helpFor('ship'), /usage: starphleet ship run/);
  t.match(helpFor('--help'), /usage: starphleet help COMMAND/);
  t.match(helpFor('-h'), /usage: starphleet help COMMAND/);
  t.equal(helpFor('nosuch'), '');
  t.equal(helpFor('add ship'), helpFor('add ship'));
});
