// One small supervisor per container (the conmon/shim pattern): it owns the
// container's stdout/stderr so the container survives the agent, writes the
// output as timestamped lines into a capped log, and records the exit status.
// Started detached by container.ts as `starphleet ship supervise NAME`.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { CappedLog } from './capped-log.js';
import { escapeLine, LineSplitter } from './log-ring.js';
import type { ShipPaths } from './paths.js';

export async function supervise(paths: ShipPaths, shDir: string, name: string, command: string[]): Promise<number> {
  mkdirSync(paths.supervisors, { recursive: true });
  mkdirSync(paths.logs, { recursive: true });
  rmSync(paths.supervisorExit(name), { force: true });
  writeFileSync(paths.supervisorPid(name), `${process.pid}\n`);
  const log = new CappedLog(paths.containerLog(name));
  const child = spawn(`${shDir}/container-run`, [paths.lxcpath, name, ...command], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' },
  });
  // Signals to the supervisor are for the container, not for us.
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(sig, () => { child.kill(sig); });
  }
  const pipe = (stream: NodeJS.ReadableStream, source: 'stdout' | 'stderr'): void => {
    // Bytes, not text: lines over 16 KiB are split (never dropped) and
    // binary output is escaped (log-ring.ts). One write per chunk read.
    const splitter = new LineSplitter();
    const write = (lines: Buffer[]): void => {
      if (lines.length === 0) return;
      const at = new Date().toISOString();
      log.write(lines.map((l) => `${at} ${source} ${escapeLine(l)}\n`).join(''));
    };
    stream.on('data', (chunk: Buffer) => write(splitter.push(chunk)));
    stream.on('end', () => write(splitter.flush()));
  };
  pipe(child.stdout, 'stdout');
  pipe(child.stderr, 'stderr');
  const code = await new Promise<number>((resolve) => {
    child.on('error', (err) => { log.write(`${new Date().toISOString()} supervisor cannot start: ${err.message}\n`); resolve(127); });
    child.on('close', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
  });
  log.write(`${new Date().toISOString()} supervisor container exited with status ${code}\n`);
  writeFileSync(paths.supervisorExit(name), `${code}\n`);
  rmSync(paths.supervisorPid(name), { force: true });
  return code;
}
