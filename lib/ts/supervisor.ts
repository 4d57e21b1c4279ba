// One small supervisor per container (the conmon/shim pattern): it owns the
// container's stdout/stderr so the container survives the agent, writes the
// output as timestamped lines into a capped log, and records the exit status.
// Started detached by container.ts as `starphleet ship supervise NAME`.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { CappedLog } from './capped-log.js';
import type { ShipPaths } from './paths.js';
import { SECRET_ENV_CHUNKS } from './secrets-crypto.js';

/** The secret variables the agent pipes to a supervisor's stdin (a JSON object of strings). */
export async function readSecretEnv(input: NodeJS.ReadableStream): Promise<Record<string, string>> {
  let text = '';
  input.setEncoding('utf8');
  for await (const chunk of input) text += chunk as string;
  if (text.trim() === '') return {};
  const parsed = JSON.parse(text) as Record<string, unknown>;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) if (/^STARPHLEET_SECRETS_\d+$/.test(k) && typeof v === 'string') env[k] = v;
  return env;
}

/** An app container's config names these variables, so lxc-execute needs them set (empty: no secrets). */
function emptySecretEnv(): Record<string, string> {
  return Object.fromEntries(Array.from({ length: SECRET_ENV_CHUNKS }, (_, i) => [`STARPHLEET_SECRETS_${i}`, '']));
}

export async function supervise(paths: ShipPaths, shDir: string, name: string, command: string[], secretEnv: Record<string, string> = {}): Promise<number> {
  mkdirSync(paths.supervisors, { recursive: true });
  mkdirSync(paths.logs, { recursive: true });
  rmSync(paths.supervisorExit(name), { force: true });
  writeFileSync(paths.supervisorPid(name), `${process.pid}\n`);
  const log = new CappedLog(paths.containerLog(name));
  const child = spawn(`${shDir}/container-run`, [paths.lxcpath, name, ...command], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', ...emptySecretEnv(), ...secretEnv },
  });
  // Signals to the supervisor are for the container, not for us.
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(sig, () => { child.kill(sig); });
  }
  const pipe = (stream: NodeJS.ReadableStream, source: 'stdout' | 'stderr'): void => {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      // Lines longer than 16 KiB are split, never dropped.
      if (partial.length > 16384) { lines.push(partial); partial = ''; }
      for (const line of lines) log.write(`${new Date().toISOString()} ${source} ${line}\n`);
    });
    stream.on('end', () => { if (partial) log.write(`${new Date().toISOString()} ${source} ${partial}\n`); });
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
