import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rssFileBytes, TrimSchedule, trimMemory } from '../../../lib/ts/core/memory-trim.js';

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

// The helper, as make builds it (make test-ts builds it first).
const PAGEOUT = fileURLToPath(new URL('../../../lib/libexec/starphleet-pageout', import.meta.url));
const rssFileKiB = (pid: number): number => Number(/RssFile:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
const isRoot = process.getuid?.() === 0;

t.test('the helper hands back the pages of another process\'s binary', { skip: !isRoot && 'needs root (CAP_SYS_NICE)' }, async (t) => {
  // A process with a big binary of its own: a copy of node (pages another
  // process maps too are not handed back), idle, its pages touched at start.
  // On the repo's file system: a tmpfs copy's pages could only go to swap.
  const artifacts = fileURLToPath(new URL('../../artifacts/', import.meta.url));
  mkdirSync(artifacts, { recursive: true });
  const dir = mkdtempSync(join(artifacts, 'pageout-'));
  const exe = join(dir, 'node');
  copyFileSync(process.execPath, exe);
  chmodSync(exe, 0o755);
  const child = spawn(exe, ['-e', 'console.log("up"); setTimeout(() => {}, 20000)'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => { child.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const pid = child.pid ?? 0;
  const before = rssFileKiB(pid);
  const r = spawnSync(PAGEOUT, [String(pid)], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.ok(Number(r.stdout) >= statSync(exe).size / 2, `advised ${r.stdout.trim()} bytes: the binary's mappings`);
  const after = rssFileKiB(pid);
  t.ok(after < before / 2, `the child's file-backed RSS fell from ${before} KiB to ${after} KiB`);
});

t.test('the agent trims itself through the helper', { skip: !isRoot && 'needs root (CAP_SYS_NICE)' }, async (t) => {
  const r = trimMemory(PAGEOUT);
  t.ok(r.advisedBytes > 0, `this process: ${r.advisedBytes} bytes advised`);
  t.ok(r.rssFileBeforeBytes > 0 && r.rssFileAfterBytes > 0, `file-backed RSS ${r.rssFileBeforeBytes} -> ${r.rssFileAfterBytes} bytes (node's pages are shared: they stay)`);
  t.equal(trimMemory('/nonexistent/starphleet-pageout').advisedBytes, 0, 'no helper: nothing advised, no throw');
});

t.test('the helper\'s bad input: a usage line and exit 2; a gone pid: one line and exit 1', async (t) => {
  for (const args of [[], ['x'], ['12', '13'], ['-4']]) {
    const r = spawnSync(PAGEOUT, args, { encoding: 'utf8' });
    t.equal(r.status, 2, `args ${JSON.stringify(args)}`);
    t.match(r.stderr, /^usage: starphleet-pageout PID\n$/);
  }
  const gone = spawnSync(PAGEOUT, ['2147483646'], { encoding: 'utf8' });
  t.equal(gone.status, 1);
  t.match(gone.stderr, /^starphleet-pageout: pid 2147483646: No such process\n$/);
  t.equal(gone.stdout, '');
});

t.test('the file-backed RSS, from /proc/PID/status', async (t) => {
  t.equal(rssFileBytes('VmRSS:\t   56800 kB\nRssAnon:\t   15928 kB\nRssFile:\t   23588 kB\nRssShmem:\t       0 kB\n'), 23588 * 1024);
  t.ok(Number.isNaN(rssFileBytes('VmRSS:\t 1 kB\n')), 'none: NaN');
});
