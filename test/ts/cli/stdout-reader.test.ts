import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeReaderState } from '../../../lib/ts/cli/stdout-reader.js';

t.test('a file is not a pipe: unknown', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-reader-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'f'), '');
  const fd = openSync(join(dir, 'f'), 'r');
  t.teardown(() => closeSync(fd));
  t.equal(pipeReaderState(fd), 'unknown');
});

t.test('a pipe: yes while another process holds its read end, no once it is gone', {
  skip: process.getuid?.() !== 0 ? 'needs root (every process visible in /proc)' : false,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-reader-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const reader = spawn('sh', ['-c', 'exec 3<"$0"; exec sleep 30', fifo], { stdio: 'ignore' });
  const fd = openSync(fifo, 'w'); // returns once the reader has opened its end
  t.teardown(() => closeSync(fd));
  t.equal(pipeReaderState(fd), 'yes');
  const ended = new Promise((resolve) => reader.on('exit', resolve));
  reader.kill('SIGKILL');
  await ended;
  t.equal(pipeReaderState(fd), 'no');
});
