import t from 'tap';
import { helpFor } from '../../../lib/ts/cli/commands.js';
import { usageLines } from '../../../lib/ts/cli/usage-hint.js';

const has = (c: string): boolean => helpFor(c) !== '';

t.test('a usage error names the help of its command', async (t) => {
  t.equal(usageLines('set: needs NAME and VALUE (or - to read the value from stdin)', has),
    "starphleet: set: needs NAME and VALUE (or - to read the value from stdin)\n(see 'starphleet help set')\n");
  t.equal(usageLines('add ship: needs exactly one TARGET ([user@]host[:port])', has),
    "starphleet: add ship: needs exactly one TARGET ([user@]host[:port])\n(see 'starphleet help add ship')\n");
  t.equal(usageLines("unknown command 'frob'", has), "starphleet: unknown command 'frob'\n(see 'starphleet --help')\n");
  t.equal(usageLines('nosuch: whatever', has), "starphleet: nosuch: whatever\n(see 'starphleet --help')\n");
});

t.test("node's parseArgs advice about '--' is dropped", async (t) => {
  t.equal(usageLines("logs: Unknown option '--bogus'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- \"--bogus\"", has),
    "starphleet: logs: Unknown option '--bogus'\n(see 'starphleet help logs')\n");
});
