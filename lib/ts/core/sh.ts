// Run one of the ship's shell scripts (or any command) and collect its output.
// The only place that spawns short-lived child processes (but for the memory
// trim's helper, run synchronously on purpose: core/memory-trim.ts).
import { spawn } from 'node:child_process';

export interface RunOptions {
  env?: NodeJS.ProcessEnv;        // full environment (default: the agent's)
  cwd?: string;
  timeoutSeconds?: number;        // kill the whole process group after this
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void; // live lines
  input?: string;
  /** Ends the whole tree at the deadline (default: SIGKILL to the process group). */
  killTree?: () => void;
  /**
   * Call killTree as soon as the command itself exits: what it left behind
   * (`setsid sleep 40 &` holding its pipes) is ended, not waited for.
   */
  reapOnExit?: boolean;
  /** Keep at most this many bytes of stdout and of stderr (the newest). Default 1 MiB. */
  maxOutputBytes?: number;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** How to end each step still running (its process tree), for an agent that stops. */
const running = new Set<() => void>();

/**
 * End every step still running (git, builds, lookups), so a stopping agent
 * leaves nothing of its own behind; containers and nginx are not steps.
 */
export function killRunningSteps(): number {
  const n = running.size;
  for (const kill of [...running]) kill();
  running.clear();
  return n;
}

export function runScript(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      detached: true, // own process group, so a timeout kills grandchildren too
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const cap = options.maxOutputBytes ?? 1024 * 1024;
    // Bounded: a command that prints without end costs the agent no memory.
    const keep = (text: string): string => (text.length > cap ? text.slice(text.length - cap) : text);
    const killTree = options.killTree ?? ((): void => {
      try { process.kill(-(child.pid ?? 0), 'SIGKILL'); } catch { /* already gone */ }
    });
    running.add(killTree);
    const partial = { stdout: '', stderr: '' };
    const feed = (stream: 'stdout' | 'stderr', chunk: string): void => {
      if (!options.onLine) return;
      const text = partial[stream] + chunk;
      const lines = text.split('\n');
      partial[stream] = lines.pop() ?? '';
      for (const line of lines) options.onLine(line, stream);
      // A line without end is passed on in pieces, not held whole.
      if (partial[stream].length > 16 * 1024) { options.onLine(partial[stream], stream); partial[stream] = ''; }
    };
    child.stdout?.setEncoding('utf8').on('data', (c: string) => { stdout = keep(stdout + c); feed('stdout', c); });
    child.stderr?.setEncoding('utf8').on('data', (c: string) => { stderr = keep(stderr + c); feed('stderr', c); });
    if (options.reapOnExit) child.on('exit', () => killTree());
    if (options.input !== undefined) child.stdin?.end(options.input);
    const timer = options.timeoutSeconds
      ? setTimeout(() => {
          timedOut = true;
          killTree();
        }, options.timeoutSeconds * 1000)
      : undefined;
    const finish = (code: number): void => {
      if (timer) clearTimeout(timer);
      running.delete(killTree);
      for (const stream of ['stdout', 'stderr'] as const) {
        if (partial[stream] && options.onLine) options.onLine(partial[stream], stream);
      }
      resolve({ code, stdout, stderr, timedOut });
    };
    child.on('error', (err) => { stderr += String(err.message); finish(127); });
    child.on('close', (code, signal) => finish(code ?? (signal ? 128 : 1)));
  });
}

/** Run and throw a one-line error (the last stderr line) on failure. */
export async function runOrThrow(command: string, args: string[], options: RunOptions = {}): Promise<string> {
  const r = await runScript(command, args, options);
  if (r.code !== 0) {
    const last = (r.stderr.trim() || r.stdout.trim()).split('\n').filter(Boolean).pop();
    const name = command.split('/').pop();
    throw new Error(r.timedOut ? `${name} timed out` : `${name}: ${last ?? `exited with status ${r.code}`}`);
  }
  return r.stdout;
}
