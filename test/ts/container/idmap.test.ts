import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerIds, ensureShipRange, freeRange, parseSubids, rootRange } from '../../../lib/ts/container/idmap.js';

t.test('root range: a root entry of 65536 ids in both files', async (t) => {
  const u = parseSubids('alice:100000:65536\nroot:231072:65536\n# note\n');
  t.same(rootRange(u, parseSubids('root:231072:65536\n')), { first: 231072, count: 65536 });
  t.equal(rootRange(u, parseSubids('root:300000:65536\n')), null, 'gid range elsewhere');
  t.equal(rootRange(parseSubids('root:100000:1000\n'), parseSubids('root:100000:1000\n')), null, 'too small');
});

t.test('a free range never overlaps an entry of either file', async (t) => {
  t.same(freeRange([]), { first: 100000, count: 65536 });
  t.same(freeRange(parseSubids('alice:100000:65536\nbob:165536:10\n')), { first: 231072, count: 65536 });
});

t.test('ensureShipRange adds root once, to both files, and then reuses it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'idmap-'));
  const files = { subuid: join(dir, 'subuid'), subgid: join(dir, 'subgid') };
  writeFileSync(files.subuid, 'alice:100000:65536');   // no trailing newline
  writeFileSync(files.subgid, 'alice:100000:65536\n');
  const first = ensureShipRange(files);
  t.same(first, { range: { first: 165536, count: 65536 }, added: true });
  t.equal(readFileSync(files.subuid, 'utf8'), 'alice:100000:65536\nroot:165536:65536\n');
  t.equal(readFileSync(files.subgid, 'utf8'), 'alice:100000:65536\nroot:165536:65536\n');
  t.same(ensureShipRange(files), { range: { first: 165536, count: 65536 }, added: false });
  t.equal(readFileSync(files.subuid, 'utf8').split('root:').length, 2, 'not added twice');
});

t.test('container ids: root is the range start, the app user 10000 above it', async (t) => {
  t.same(containerIds({ first: 100000, count: 65536 }), { range: { first: 100000, count: 65536 }, root: 100000, app: 110000 });
  t.same(containerIds(null), { range: null, root: 0, app: 10000 });
});
