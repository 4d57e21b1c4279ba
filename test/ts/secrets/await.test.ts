import t from 'tap';
import { awaitSecrets } from '../../../lib/ts/secrets/await.js';

t.test('no wait when nothing is awaited or the set is already there', async (t) => {
  const lines: string[] = [];
  t.equal(await awaitSecrets(() => 0, 0, 1000, (l) => lines.push(l)), true);
  t.equal(await awaitSecrets(() => 5, 5, 1000, (l) => lines.push(l)), true);
  t.same(lines, []);
});

t.test('waits until the set arrives', async (t) => {
  let v = 0;
  const lines: string[] = [];
  setTimeout(() => { v = 3; }, 50);
  const start = Date.now();
  t.equal(await awaitSecrets(() => v, 3, 5000, (l) => lines.push(l), 10), true);
  t.ok(Date.now() - start < 1000);
  t.match(lines[0], /waiting up to 5 s for the phleet's secrets \(set version 3\)/);
  t.match(lines[1], /secrets at set version 3: deploying/);
});

t.test('gives up after the bound and says so', async (t) => {
  const lines: string[] = [];
  t.equal(await awaitSecrets(() => 1, 4, 60, (l) => lines.push(l), 10), false);
  t.match(lines[1], /warning: the phleet's secrets \(set version 4\) did not arrive within 0 s; deploying with set version 1/);
});
