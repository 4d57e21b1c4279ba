import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CappedLog } from '../../../lib/ts/logs/capped-file.js';
import { LogHub } from '../../../lib/ts/logs/hub.js';
import { LogFollower } from '../../../lib/ts/logs/follow.js';
import type { LogRecord } from '../../../lib/ts/logs/ring.js';
import { formatSupervisorLine } from '../../../lib/ts/container/supervisor-line.js';

// A real capped log file, written the supervisor's way, read by the agent's follower.
function setup(t: { teardown: (fn: () => void) => void }, capBytes: number) {
  const dir = mkdtempSync(join(tmpdir(), 'sp-follow-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string): string => join(dir, `${name}.log`);
  const log = new CappedLog(file('c1'), capBytes);
  let seq = 0;
  const write = (n: number): void => {
    for (let i = 0; i < n; i++) {
      seq += 1;
      log.write(formatSupervisorLine('2026-11-26T12:00:00.000Z', seq, 'stdout', `line ${seq} ${'x'.repeat(40)}`));
    }
  };
  const hub = new LogHub({ ship: 's', ringLines: 100_000, sink: null });
  const got: LogRecord[] = [];
  hub.subscribe({ filter: {}, write: (r) => { got.push(r); return true; } });
  const follower = new LogFollower(hub, file);
  return { write, follower, got };
}

t.test('one rotation between reads: every line arrives, in order, no gap', async (t) => {
  const { write, follower, got } = setup(t, 2000);
  follower.follow('c1', '/a', true);
  write(20);
  follower.poll();
  write(15); // about 84 bytes a line: past the 2000-byte cap once
  follower.poll();
  t.same(got.map((r) => r.line), Array.from({ length: 35 }, (_, i) => `line ${i + 1} ${'x'.repeat(40)}`));
  t.notOk(got.some((r) => r.gap !== undefined));
  t.equal(got[0].service, '/a');
  t.equal(got[0].container, 'c1');
});

t.test('rotated several times between reads: the newest files are read and the lost lines are counted exactly', async (t) => {
  const { write, follower, got } = setup(t, 2000);
  follower.follow('c1', '/a', true);
  write(10);
  follower.poll();
  write(300); // about 8 rotations: the file being read, and several after it, are gone
  follower.poll();
  const lines = got.filter((r) => r.gap === undefined);
  const gaps = got.filter((r) => r.gap !== undefined);
  t.equal(gaps.length, 1, 'one gap record');
  t.equal(gaps[0].service, '/a', 'labelled with the service, so a service filter shows it');
  t.equal(gaps[0].container, 'c1');
  t.match(gaps[0].line, /^\[gap\] \d+ log lines dropped: the agent reading c1's log fell behind$/);
  t.equal(lines.length + (gaps[0].gap ?? 0), 310, 'every line is either read or counted');
  t.equal(lines[lines.length - 1].line, `line 310 ${'x'.repeat(40)}`, 'the newest line is there');
  const nums = lines.map((r) => Number(r.line.split(' ')[1]));
  t.ok(nums.every((n, i) => i === 0 || n > nums[i - 1]), 'in order');
  t.ok(nums.length > 10 + 20, 'more than the current file: NAME.log.1 was read too');
});
