// A killed agent's orders reads leave cgroups and copies; the next start
// clears those whose agent is gone, and keeps a live agent's.
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearStaleJails, jailsAvailable, makeJail } from '../../../lib/ts/sandbox/cgroup.js';
import { clearOrdersScratch } from '../../../lib/ts/hq/orders.js';

t.test('stale orders cgroups go, a live agent\'s stay', { skip: process.getuid?.() !== 0 || !jailsAvailable() ? 'needs root and cgroups' : false }, async (t) => {
  const tag = `stale-test-${process.pid}-`;
  const dead = makeJail(`${tag}x-4194303`, { pids: 8, memoryBytes: 64 << 20 });
  const live = makeJail(`${tag}y-${process.pid}`, { pids: 8, memoryBytes: 64 << 20 });
  t.teardown(() => { live.remove(); dead.remove(); });
  t.ok(existsSync(dead.procsFiles[0]));
  const cleared = clearStaleJails(tag);
  t.same(cleared, [`${tag}x-4194303`]);
  t.notOk(existsSync(dead.procsFiles[0]), 'the dead agent\'s cgroup is gone');
  t.ok(existsSync(live.procsFiles[0]), 'the live agent\'s cgroup is kept');
});

t.test('orders copies left in the scratch folder are removed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'orders-scratch-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'orders-abc', 'svc'), { recursive: true });
  writeFileSync(join(dir, 'orders-abc', 'svc', 'orders'), 'export PORT=1\n');
  t.equal(clearOrdersScratch(dir), 1);
  t.equal(clearOrdersScratch(dir), 0);
  t.equal(clearOrdersScratch(join(dir, 'missing')), 0);
});
