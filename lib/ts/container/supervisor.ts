// One small supervisor per container (the conmon/shim pattern): it owns the
// container's stdout/stderr so the container survives the agent, writes the
// output as timestamped lines into a capped log, and records the exit status.
// Started detached by container.ts as `starphleet ship supervise NAME`.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { CappedLog } from '../logs/capped-file.js';
import { escapeLine, LineSplitter } from '../logs/ring.js';
import { formatSupervisorLine, type SupervisorSource } from './supervisor-line.js';
import type { ShipPaths } from '../core/paths.js';

/** The secrets the agent pipes to a supervisor's stdin (export lines, bytes), read to the end. */
export async function readSecrets(input: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Run the container and hold its output. secrets go to the container through
 * a pipe inherited as fd 3 (lxc-execute keeps inherited descriptors), so they
 * are in no file, argv or environment of any host process.
 */
export async function supervise(paths: ShipPaths, shDir: string, name: string, command: string[], secrets: Buffer = Buffer.alloc(0)): Promise<number> {
  mkdirSync(paths.supervisors, { recursive: true });
  mkdirSync(paths.logs, { recursive: true });
  rmSync(paths.supervisorExit(name), { force: true });
  writeFileSync(paths.supervisorPid(name), `${process.pid}\n`);
  const log = new CappedLog(paths.containerLog(name));
  // Every line is numbered, so the agent can count what it lost (supervisor-line.ts).
  let seq = 0;
  const lines = (source: SupervisorSource, texts: string[]): string => {
    const at = new Date().toISOString();
    return texts.map((text) => formatSupervisorLine(at, ++seq, source, text)).join('');
  };
  const child = spawn(`${shDir}/container-run`, [paths.lxcpath, name, ...command], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' },
  });
  const secretsPipe = child.stdio[3] as NodeJS.WritableStream | null;
  secretsPipe?.on('error', () => undefined); // the container ended before reading them
  secretsPipe?.end(secrets);
  // Signals to the supervisor are for the container, not for us.
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(sig, () => { child.kill(sig); });
  }
  const pipe = (stream: NodeJS.ReadableStream, source: 'stdout' | 'stderr'): void => {
    // Bytes, not text: lines over 16 KiB are split (never dropped) and
    // binary output is escaped (log-ring.ts). One write per chunk read.
    const splitter = new LineSplitter();
    const write = (chunkLines: Buffer[]): void => {
      if (chunkLines.length === 0) return;
      log.write(lines(source, chunkLines.map(escapeLine)));
    };
    stream.on('data', (chunk: Buffer) => write(splitter.push(chunk)));
    stream.on('end', () => write(splitter.flush()));
  };
  pipe(child.stdout as NodeJS.ReadableStream, 'stdout');
  pipe(child.stderr as NodeJS.ReadableStream, 'stderr');
  const code = await new Promise<number>((resolve) => {
    child.on('error', (err) => { log.write(lines('supervisor', [`cannot start: ${err.message}`])); resolve(127); });
    child.on('close', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
  });
  log.write(lines('supervisor', [`container exited with status ${code}`]));
  writeFileSync(paths.supervisorExit(name), `${code}\n`);
  rmSync(paths.supervisorPid(name), { force: true });
  return code;
}
