// The per-container supervisor (lib/c/supervise.c, built by make), run for
// real with a shell as its command in place of container-run.
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linesLost, parseSupervisorLine } from '../../../lib/ts/container/supervisor-line.js';
import { escapeLine, LineSplitter } from '../../../lib/ts/logs/ring.js';

const SUPERVISE = join(import.meta.dirname, '../../../lib/libexec/starphleet-supervise');

interface Run { code: number | null; dir: string; log: string; pid: string; exit: string; pidSeen: number }

async function supervise(t: { teardown: (fn: () => void) => void }, script: string, opts: { secrets?: Buffer; signalAfterMs?: number } = {}): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'sp-supervise-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const run = { dir, log: join(dir, 'logs', 'c.log'), pid: join(dir, 'run', 'c.pid'), exit: join(dir, 'run', 'c.exit') };
  const args = [...(opts.secrets ? ['--secrets-stdin'] : []), run.log, run.pid, run.exit, '/bin/bash', '-c', script];
  const child = spawn(SUPERVISE, args, { stdio: ['pipe', 'ignore', 'inherit'] });
  child.stdin.end(opts.secrets ?? Buffer.alloc(0));
  let pidSeen = 0;
  if (opts.signalAfterMs !== undefined) {
    setTimeout(() => {
      pidSeen = Number(readFileSync(run.pid, 'utf8').trim());
      child.kill('SIGTERM');
    }, opts.signalAfterMs);
  }
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  return { code, pidSeen, ...run };
}

t.ok(existsSync(SUPERVISE), `${SUPERVISE} is built (make)`);

const lines = (file: string): ReturnType<typeof parseSupervisorLine>[] =>
  readFileSync(file, 'utf8').split('\n').filter(Boolean).map(parseSupervisorLine);

t.test('numbered, tagged lines; escaping as the agent escapes; secrets on fd 3; the exit status', async (t) => {
  const r = await supervise(t, String.raw`echo one; printf 'tab\there\x01 \xff \xc3\xa9 \xed\xa0\x80 \xc0\xaf\r\n'; echo two >&2; cat <&3; printf 'no newline'; exit 7`,
    { secrets: Buffer.from("export TOKEN='s3cret'\n") });
  t.equal(r.code, 7, 'the supervisor exits with the container\'s status');
  t.equal(readFileSync(r.exit, 'utf8'), '7\n', 'and records it');
  t.notOk(existsSync(r.pid), 'the pid file goes when the container has exited');
  const got = lines(r.log);
  t.same(got.map((l) => l.seq), [1, 2, 3, 4, 5, 6], 'every line numbered in order');
  t.ok(got.every((l) => l.time !== null && /Z$/.test(l.time)), 'UTC timestamps');
  const bytes = Buffer.from('tab\there\x01 \xff \xc3\xa9 \xed\xa0\x80 \xc0\xaf', 'latin1');
  const byStream = got.map((l) => [l.stream, l.text]);
  t.same(byStream.filter(([s]) => s === 'stdout').map(([, x]) => x), ['one', escapeLine(bytes), "export TOKEN='s3cret'", 'no newline']);
  t.same(byStream.filter(([s]) => s === 'stderr').map(([, x]) => x), ['two']);
  t.same(byStream.at(-1), [null, 'supervisor: container exited with status 7']);
});

t.test('a line over 16 KiB comes in 16 KiB pieces, none lost', async (t) => {
  const r = await supervise(t, 'head -c 40000 /dev/zero | tr "\\0" a; echo; echo after');
  t.equal(r.code, 0);
  const got = lines(r.log).filter((l) => l.stream === 'stdout').map((l) => l.text);
  const expected = new LineSplitter().push(Buffer.from(`${'a'.repeat(40000)}\nafter\n`)).map((b) => b.toString());
  t.same(got.map((x) => x.length), expected.map((x) => x.length), 'the same pieces as the agent\'s splitter');
  t.equal(got.join(''), `${'a'.repeat(40000)}after`);
});

t.test('the log rotates at 5 MiB into LOG.1 and the numbers run on across both', async (t) => {
  // 7 MiB of 100-byte lines.
  const r = await supervise(t, 'yes "$(printf "%099d" 0)" | head -n 73400');
  t.equal(r.code, 0);
  t.ok(existsSync(`${r.log}.1`), 'LOG.1 made');
  t.ok(statSync(`${r.log}.1`).size <= 5 * 1024 * 1024, 'LOG.1 within the cap');
  t.ok(statSync(r.log).size <= 5 * 1024 * 1024, 'LOG within the cap');
  const all = [...lines(`${r.log}.1`), ...lines(r.log)];
  let lost = 0;
  for (let i = 1; i < all.length; i++) lost += linesLost(all[i - 1].seq, all[i].seq);
  t.equal(lost, 0, 'no gap in the numbers');
  t.equal(all.filter((l) => l.stream === 'stdout').length, 73400, 'every line kept');
});

t.test('secrets larger than a pipe buffer reach the container whole', async (t) => {
  const secrets = Buffer.from(`export BIG='${'x'.repeat(300_000)}'\n`);
  const r = await supervise(t, 'sleep 0.3; wc -c <&3', { secrets });
  t.equal(r.code, 0);
  t.same(lines(r.log).filter((l) => l.stream === 'stdout').map((l) => l.text), [String(secrets.length)]);
});

t.test('SIGTERM to the supervisor goes to the container; a signalled end records 128', async (t) => {
  const r = await supervise(t, 'trap "echo got TERM; exit 143" TERM; echo ready; sleep 30 >/dev/null 2>&1 & wait', { signalAfterMs: 300 });
  t.ok(r.pidSeen > 0, 'the pid file named the supervisor while it ran');
  t.equal(r.code, 143, 'the container\'s own exit status');
  t.ok(lines(r.log).some((l) => l.text === 'got TERM'), 'the container saw the TERM');
  const killed = await supervise(t, 'exec sleep 30', { signalAfterMs: 200 });
  t.equal(killed.code, 128);
  t.equal(readFileSync(killed.exit, 'utf8'), '128\n');
});

t.test('a command that cannot start: status 127 and the cause in the log', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-supervise-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const child = spawn(SUPERVISE, [join(dir, 'l'), join(dir, 'p'), join(dir, 'e'), join(dir, 'missing')], { stdio: 'ignore' });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.equal(code, 127);
  t.match(readFileSync(join(dir, 'l'), 'utf8'), /1 supervisor cannot start: .*missing: No such file or directory\n.*2 supervisor container exited with status 127\n$/);
  const usage = spawn(SUPERVISE, ['only-one'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  usage.stderr.on('data', (c: Buffer) => { err += c.toString(); });
  t.equal(await new Promise<number | null>((resolve) => usage.on('close', resolve)), 2, 'bad arguments exit 2');
  t.match(err, /^usage: starphleet-supervise /);
});
