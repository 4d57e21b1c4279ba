import t from 'tap';
import { mappingsOf, TrimSchedule } from '../../../lib/ts/core/memory-trim.js';

t.test('trim once a busy spell has been quiet for a while, then only periodically', async (t) => {
  const s = new TrimSchedule(30_000, 600_000);
  t.equal(s.due(true, 1_000), false, 'busy: never');
  t.equal(s.due(false, 20_000), false, 'quiet for 19 s: not yet');
  t.equal(s.due(false, 31_000), true, 'quiet for 30 s: trim');
  t.equal(s.due(false, 41_000), false, 'nothing happened since: no second trim');
  t.equal(s.due(false, 631_000), true, 'ten minutes on: the periodic one');
  t.equal(s.due(true, 640_000), false);
  t.equal(s.due(false, 660_000), false, 'busy 20 s ago');
  t.equal(s.due(false, 670_000), true, 'busy again since the last trim, now quiet');
});

t.test('the mappings of one file, from /proc/PID/maps', async (t) => {
  const maps = [
    '00200000-01a39000 r--p 00000000 fd:01 123 /srv/bin/starphleet',
    '01a40000-0684a000 r-xp 01838000 fd:01 123 /srv/bin/starphleet',
    '7f8e3d3c2000-7f8e3d518000 r-xp 00026000 fd:01 9 /usr/lib/x86_64-linux-gnu/libc.so.6',
    '54e3fe00000-54e7fe00000 rw-p 00000000 00:00 0 ',
    '01a39000-01a40000 r--p 00000000 fd:01 124 /srv/bin/starphleet-old',
  ].join('\n');
  t.same(mappingsOf(maps, '/srv/bin/starphleet'), [[0x200000n, 0x1839000n], [0x1a40000n, 0x4e0a000n]]);
  t.same(mappingsOf(maps, '/srv/bin/other'), []);
});
