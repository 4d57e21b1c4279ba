import t from 'tap';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pack } from 'tar-stream';
import { unpackAssets } from '../../../lib/ts/core/assets-embedded.js';

async function tarOf(files: Record<string, { text: string; mode: number }>): Promise<Buffer> {
  const p = pack();
  for (const [name, f] of Object.entries(files)) p.entry({ name, mode: f.mode }, f.text);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

t.test('unpacks once per content hash, keeping modes; many at once agree on one copy', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'sp-assets-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const tar = await tarOf({ 'lib/sh/host/hello': { text: '#!/bin/sh\necho hi\n', mode: 0o755 }, '../escape': { text: 'no', mode: 0o644 } });
  const targets = await Promise.all(Array.from({ length: 8 }, () => unpackAssets(tar, home)));
  t.equal(new Set(targets).size, 1, 'one target');
  t.equal(readFileSync(join(targets[0], 'lib/sh/host/hello'), 'utf8'), '#!/bin/sh\necho hi\n');
  t.equal(statSync(join(targets[0], 'lib/sh/host/hello')).mode & 0o777, 0o755);
  t.same(readdirSync(join(home, 'assets')), [targets[0].split('/').pop()], 'no temporary copies left');
  t.notOk(readdirSync(home).includes('escape'), 'a path out of the tree is skipped');
  t.equal(await unpackAssets(tar, home), targets[0], 'a second unpack reuses it');
});
