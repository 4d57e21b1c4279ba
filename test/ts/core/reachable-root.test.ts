import t from 'tap';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aliasFor, closedAncestor, reachableRoot, ROOTS_DIR } from '../../../lib/ts/core/reachable-root.js';

t.test('closedAncestor names the nearest parent others cannot traverse', async (t) => {
  const top = mkdtempSync(join(tmpdir(), 'sp-reach-'));
  t.teardown(() => rmSync(top, { recursive: true, force: true }));
  chmodSync(top, 0o755);
  mkdirSync(join(top, 'open', 'root'), { recursive: true, mode: 0o755 });
  mkdirSync(join(top, 'private', 'deeper', 'root'), { recursive: true, mode: 0o755 });
  chmodSync(join(top, 'private'), 0o700);
  t.equal(closedAncestor(join(top, 'open', 'root')), null);
  t.equal(closedAncestor(join(top, 'private', 'deeper', 'root')), join(top, 'private'));
});

t.test('aliasFor is one stable folder per root under the roots folder', async (t) => {
  t.equal(aliasFor('/a/root'), aliasFor('/a/root'));
  t.not(aliasFor('/a/root'), aliasFor('/b/root'));
  t.match(aliasFor('/a/root'), new RegExp(`^${ROOTS_DIR}/[0-9a-f]{16}$`));
});

t.test('reachableRoot is the root itself while no alias is mounted', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'sp-reach-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  t.equal(reachableRoot(root), root);
  t.equal(reachableRoot(join(root, 'not-made-yet')), join(root, 'not-made-yet'));
});
