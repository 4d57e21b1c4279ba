import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// A healthcheck probe must end within its timeout even when the TCP connect
// itself hangs (a SYN nobody answers: a stopped container whose ARP entry is
// still fresh). Under bun (the agent's runtime) the request's `timeout` did
// not cover the connect, and a crashed service stayed `checking` for over a
// minute instead of failing. The hanging connect is made on loopback: a
// listener with a full accept queue drops further SYNs.
const repo = resolve(import.meta.dirname, '..', '..', '..');
const bun = join(repo, 'node_modules', '.bin', 'bun');

const BLACKHOLE = `
import socket, time
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)
port = s.getsockname()[1]
fill = []
for i in range(3):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(('127.0.0.1', port))
    except BlockingIOError: pass
    fill.append(c)
time.sleep(0.3)
print(port, flush=True)
time.sleep(30)
`;

t.test('probe ends within its timeout when the connect hangs (bun)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-probe-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const hole = spawn('python3', ['-c', BLACKHOLE], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => { hole.kill('SIGKILL'); });
  const port = await new Promise<string>((res) => hole.stdout.once('data', (d: Buffer) => res(d.toString().trim())));
  const script = join(dir, 'probe.ts');
  writeFileSync(script, `import { probe } from ${JSON.stringify(join(repo, 'lib', 'ts', 'health', 'healthcheck.ts'))};
const t0 = Date.now();
const r = await probe('http://127.0.0.1:${port}/', 1000);
console.log(JSON.stringify({ ...r, ms: Date.now() - t0 }));
`);
  // 20 s is far above the 1 s asked and far below the kernel's SYN retry time (over 60 s).
  const out = spawnSync(bun, [script], { encoding: 'utf8', timeout: 20_000 });
  t.equal(out.signal, null, 'the probe returned before the 20 s guard');
  const r = JSON.parse(out.stdout.trim()) as { ok: boolean; error?: string; ms: number };
  t.equal(r.ok, false);
  t.match(r.error ?? '', /no answer within 1000 ms/);
  t.ok(r.ms < 5000, `ended in ${r.ms} ms`);
});
