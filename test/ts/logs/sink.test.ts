import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogSink } from '../../../lib/ts/logs/hub.js';
import type { LogRecord } from '../../../lib/ts/logs/ring.js';

const rec = (line: string): LogRecord => ({ time: new Date().toISOString(), ship: 's', service: '/a', container: 'c', source: 'app', stream: 'stdout', line });
const settle = (ms = 100): Promise<void> => new Promise((r) => setTimeout(r, ms));

t.test('sink settings are checked', async (t) => {
  for (const bad of ['', 'stderr', 'file:relative', 'unix:', 'http://x']) t.throws(() => new LogSink(bad), { message: /STARPHLEET_LOG_SINK/ }, bad);
  t.doesNotThrow(() => new LogSink('none'));
});

t.test('file sink: JSON lines, appended, root-only', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-sink-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'sub', 'stream.jsonl');
  const sink = new LogSink(`file:${file}`);
  for (let i = 0; i < 1000; i++) sink.write(rec(`line ${i}`));
  await settle();
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LogRecord);
  t.equal(lines.length, 1000);
  t.equal(lines[999].line, 'line 999');
  t.equal(statSync(file).mode & 0o777, 0o600);
});

t.test('file sink: rotated to FILE.1 at its cap, so it never fills the disk; every line is in one of the two', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-sink-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'stream.jsonl');
  const sink = new LogSink(`file:${file}`, () => undefined, 20_000);
  for (let round = 0; round < 30; round++) {
    for (let i = 0; i < 20; i++) sink.write(rec(`line ${round * 20 + i}`));
    await settle(20);
  }
  await settle();
  const size = statSync(file).size;
  const older = statSync(`${file}.1`).size;
  t.ok(size <= 20_000 && older <= 20_000, `both under the cap: ${size} and ${older} bytes`);
  const read = (f: string): LogRecord[] => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LogRecord);
  const all = [...read(`${file}.1`), ...read(file)].map((r) => Number(r.line.split(' ')[1]));
  t.equal(all[all.length - 1], 599, 'the newest line is in FILE');
  t.ok(all.every((n, i) => i === 0 || n === all[i - 1] + 1), 'FILE.1 then FILE: consecutive, no line lost or torn');
  t.ok(all.length < 600, 'older rotations are gone');
});

t.test('unix socket sink: a shipper listening gets the lines; while it is away lines are counted and reported', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-sink-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'shipper.sock');
  const problems: string[] = [];
  const sink = new LogSink(`unix:${path}`, (m) => problems.push(m));
  sink.write(rec('nobody listens'));
  await settle();
  t.match(problems[0], /log sink .*shipper\.sock/);
  let got = '';
  const socks: Socket[] = [];
  const server = createServer((sock) => { socks.push(sock); sock.setEncoding('utf8'); sock.on('data', (d: string) => { got += d; }); });
  await new Promise<void>((r) => server.listen(path, r));
  t.teardown(() => { socks.forEach((x) => x.destroy()); server.close(); });
  (sink as unknown as { reconnectAt: number }).reconnectAt = 0; // skip the 5 s wait
  sink.write(rec('hello shipper'));
  await settle(200);
  const lines = got.trim().split('\n').map((l) => JSON.parse(l) as LogRecord);
  t.equal(lines.length, 2, 'a gap record, then the line');
  t.equal(lines[0].gap, 1);
  t.equal(lines[1].line, 'hello shipper');
});
