import t from 'tap';
import { changesSince, KEEP_RELEASES, openRelease, settleFailed, settleInterrupted, settleLive, type ReleaseRecord } from '../../../lib/ts/process/releases.js';

const at = new Date('2026-12-02T12:00:00Z');

t.test('numbers, what changed, and outcomes through a failure, an orders change and a rollback', async (t) => {
  const h: ReleaseRecord[] = [];
  const r1 = openRelease(h, { commit: 'a', ordersHash: 'o1', secretsVersion: 0 }, at);
  t.same([r1.number, r1.changed, r1.outcome], [1, ['code', 'orders'], 'pending']);
  settleLive(h, 1);
  const r2 = openRelease(h, { commit: 'b', ordersHash: 'o1', secretsVersion: 0 }, at);
  settleFailed(h, r2.number, 'build failed: x');
  t.same([h[0].outcome, h[1].outcome, h[1].cause], ['live', 'failed', 'build failed: x']);
  // Compared with what serves (1), not with the failed one.
  const r3 = openRelease(h, { commit: 'b', ordersHash: 'o2', secretsVersion: 3 }, at);
  t.same(r3.changed, ['code', 'orders', 'secrets']);
  settleLive(h, 3);
  t.equal(h[0].outcome, 'superseded');
  // Back to commit a: the release it replaces was rolled back.
  const r4 = openRelease(h, { commit: 'a', ordersHash: 'o2', secretsVersion: 3 }, at);
  t.same(r4.changed, ['code']);
  settleLive(h, 4);
  t.same(h.map((r) => r.outcome), ['superseded', 'failed', 'rolled-back', 'live']);
  settleFailed(h, 4, 'late'); // a live one does not fail afterwards
  t.equal(h[3].outcome, 'live');
});

t.test('history is capped, numbering goes on; interrupted ones fail', async (t) => {
  const h: ReleaseRecord[] = [];
  for (let i = 0; i < KEEP_RELEASES + 5; i++) settleLive(h, openRelease(h, { commit: `c${i}`, ordersHash: 'o', secretsVersion: 0 }, at).number);
  t.equal(h.length, KEEP_RELEASES);
  t.equal(h[h.length - 1].number, KEEP_RELEASES + 5);
  openRelease(h, { commit: 'z', ordersHash: 'o', secretsVersion: 0 }, at);
  settleInterrupted(h);
  t.same([h[h.length - 1].outcome, h[h.length - 1].cause], ['failed', 'interrupted by an agent restart']);
  t.same(changesSince(undefined, { commit: 'a', ordersHash: 'o', secretsVersion: 2 }), ['code', 'orders', 'secrets']);
});
