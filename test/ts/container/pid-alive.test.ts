import t from 'tap';
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { pidAlive } from '../../../lib/ts/container/container.js';

function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

t.test('a running process is alive; a dead, unreaped one (a zombie) is not', async (t) => {
  t.ok(pidAlive(process.pid));
  // A parent that forks a child which exits at once and is never waited for:
  // the child stays a zombie, as a killed agent does under a PID 1 that reaps nothing.
  const parent = spawn('python3', ['-c', 'import os, time\npid = os.fork()\nif pid == 0:\n    os._exit(0)\nprint(pid, flush=True)\ntime.sleep(10)\n'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => { parent.kill('SIGKILL'); });
  const zombie = await new Promise<number>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
  t.ok(pidAlive(parent.pid ?? 0), 'the parent runs');
  const deadline = Date.now() + 5000;
  while (procState(zombie) !== 'Z' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.equal(procState(zombie), 'Z', 'the child is a zombie');
  t.notOk(pidAlive(zombie), 'a zombie counts as dead');
  t.notOk(pidAlive(2 ** 22 + 12345), 'no such pid');
});
