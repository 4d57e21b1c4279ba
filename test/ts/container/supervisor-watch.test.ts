import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTimeOf, SupervisorWatch } from '../../../lib/ts/container/supervisor-watch.js';

t.test('the start time from /proc/PID/stat, none for a zombie', async (t) => {
  const line = (state: string): string => `4242 (sup (x) y) ${state} 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10`;
  t.equal(startTimeOf(line('S')), '987654', 'a command name with spaces and parentheses');
  t.equal(startTimeOf(line('Z')), null);
});

t.test('a supervisor is alive while its process runs, and a new one (same container, new pid) is found', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'supervisor-watch-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pidFile = (name: string): string => join(dir, `${name}.pid`);
  const watch = new SupervisorWatch(pidFile);
  t.equal(watch.alive('c1'), false, 'no pid file yet');
  const first = spawn('sleep', ['30'], { stdio: 'ignore' });
  writeFileSync(pidFile('c1'), `${first.pid}\n`);
  t.equal(watch.alive('c1'), true);
  t.equal(watch.alive('c1'), true, 'again, from the kept pid');
  const gone = new Promise((r) => first.once('exit', r));
  first.kill('SIGKILL');
  await gone;
  t.equal(watch.alive('c1'), false, 'ended');
  const second = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.teardown(() => { second.kill('SIGKILL'); });
  writeFileSync(pidFile('c1'), `${second.pid}\n`);
  t.equal(watch.alive('c1'), true, 'restarted: the new pid file is read');
  watch.keepOnly([]);
  t.equal(watch.alive('c1'), true, 'forgotten, then found again');
});
