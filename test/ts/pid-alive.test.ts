import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { pidAlive } from '../../lib/ts/container.js';

t.test('a running process is alive; a killed, unreaped one (a zombie) is not', async (t) => {
  t.ok(pidAlive(process.pid));
  // The inner sleep's parent becomes `sleep 5`, which never reaps it: killed,
  // it stays a zombie, as a killed agent does under a PID 1 that reaps nothing.
  const parent = spawn('bash', ['-c', 'sleep 30 >/dev/null 2>&1 & echo $!; exec sleep 5 >/dev/null 2>&1'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const pid = await new Promise<number>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
  t.ok(pidAlive(pid), 'running');
  process.kill(pid, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 200));
  t.match(execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }), /Z/, 'it is a zombie');
  t.notOk(pidAlive(pid), 'a zombie counts as dead');
  t.notOk(pidAlive(2 ** 22 + 12345), 'no such pid');
  parent.kill('SIGKILL');
});
