// I/O edge for the ship's nginx: start, apply (test, swap, reload, confirm),
// stop. The Unix work is in lib/sh/nginx-{start,reload,stop}; the config text
// comes from nginx-config.ts (pure).
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { assets } from '../core/assets.js';
import { controlSocketOf } from './config.js';
import { runOrThrow } from '../core/sh.js';

export interface NginxFiles {
  live: string;     // PREFIX/nginx.conf
  next: string;     // PREFIX/nginx.conf.next, tested before it replaces live
  pid: string;      // PREFIX/nginx.pid (the rendered config says so)
  errorLog: string; // PREFIX/error.log
}

export function nginxFiles(prefix: string): NginxFiles {
  return {
    live: join(prefix, 'nginx.conf'),
    next: join(prefix, 'nginx.conf.next'),
    pid: join(prefix, 'nginx.pid'),
    errorLog: join(prefix, 'error.log'),
  };
}

export interface ApplyOptions {
  controlSocket?: string;    // default: the `listen unix:` socket found in the config
  confirmTimeoutMs?: number; // default 5000
}

const SCRIPT_TIMEOUT_SECONDS = 30;

function script(name: string): string {
  return join(assets().sh, name);
}

/** /proc/PID/stat fields after the command name: [state, ppid, ...]; null when gone. */
function procStat(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** The pid of the live nginx master named by PREFIX/nginx.pid, or null. */
export function nginxMasterPid(prefix: string): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(nginxFiles(prefix).pid, 'utf8').trim());
  } catch {
    return null;
  }
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
  } catch {
    return null;
  }
  if (!existsSync('/proc/self/stat')) return pid; // no /proc: trust kill(0)
  const stat = procStat(pid);
  if (!stat || stat[0] === 'Z') return null; // gone, or a zombie
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('nginx') ? pid : null; // not a reused pid
  } catch {
    return null;
  }
}

/** True when PREFIX/nginx.pid names a live nginx process. */
export function nginxRunning(prefix: string): boolean {
  return nginxMasterPid(prefix) !== null;
}

/**
 * The master's workers that still accept connections, as "pid:starttime"
 * (a worker told to quit retitles itself "worker process is shutting down"
 * and closes its listening sockets). Empty without /proc.
 */
function acceptingWorkers(master: number): Set<string> {
  const found = new Set<string>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^[0-9]+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (!stat || Number(stat[1]) !== master || stat[0] === 'Z') continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmdline.includes('worker process') && !cmdline.includes('shutting down')) {
      found.add(`${entry}:${stat[19]}`); // field 22 of stat: start time
    }
  }
  return found;
}

/** Start nginx with CONF (or reload it when already running); throws nginx's reason on one line. */
export async function startNginx(prefix: string, confPath: string): Promise<void> {
  mkdirSync(prefix, { recursive: true });
  await runOrThrow(script('nginx-start'), [prefix, confPath], { timeoutSeconds: SCRIPT_TIMEOUT_SECONDS });
}

/** Graceful quit, then force after a few seconds; fine when not running. */
export async function stopNginx(prefix: string): Promise<void> {
  await runOrThrow(script('nginx-stop'), [prefix], { timeoutSeconds: SCRIPT_TIMEOUT_SECONDS });
}

/** The generation the running nginx serves (GET /generation on its control socket), or null. */
export function servingGeneration(controlSocket: string, timeoutMs = 1000): Promise<number | null> {
  return new Promise((resolve) => {
    const req = request({ socketPath: controlSocket, path: '/generation', method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => {
        const text = body.trim();
        resolve(res.statusCode === 200 && /^[0-9]+$/.test(text) ? Number(text) : null);
      });
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(null));
    req.end();
  });
}

/** True when the kernel has IPv6 (so a `listen [::]:PORT` can bind). */
export function ipv6Available(): boolean {
  return existsSync('/proc/net/if_inet6');
}

function lastErrorLogLine(prefix: string): string | null {
  try {
    const lines = readFileSync(nginxFiles(prefix).errorLog, 'utf8').trim().split('\n');
    return lines[lines.length - 1] || null;
  } catch {
    return null;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// One apply at a time per prefix: each reload is confirmed before the next.
const queues = new Map<string, Promise<void>>();

/**
 * Make CONFIG (rendered for GENERATION) the one nginx serves: write
 * nginx.conf.next, `nginx -t` it (failure: throws nginx's reason on one line,
 * the live config untouched), move it over nginx.conf, reload (or start when
 * not running), then poll the control socket until it answers GENERATION.
 * Every apply needs a new generation: one already serving with other content
 * is refused, since its confirmation would prove nothing.
 */
export function applyNginxConfig(prefix: string, config: string, generation: number, options: ApplyOptions = {}): Promise<void> {
  const previous = queues.get(prefix) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(() => applyNow(prefix, config, generation, options));
  const tail = run.catch(() => undefined);
  queues.set(prefix, tail);
  void tail.then(() => { if (queues.get(prefix) === tail) queues.delete(prefix); });
  return run;
}

async function applyNow(prefix: string, config: string, generation: number, options: ApplyOptions): Promise<void> {
  const controlSocket = options.controlSocket ?? controlSocketOf(config);
  if (!controlSocket) throw new Error('nginx config has no `listen unix:` control socket to confirm the reload with');
  const files = nginxFiles(prefix);
  const master = nginxMasterPid(prefix);

  if (master !== null && (await servingGeneration(controlSocket)) === generation) {
    const live = existsSync(files.live) ? readFileSync(files.live, 'utf8') : null;
    if (live === config) return; // already serving exactly this
    throw new Error(`nginx already serves generation ${generation} with another config; apply with a new generation`);
  }

  // Workers of the old config: until each has stopped accepting, a request
  // may still meet the old config even though the control socket (answered
  // by a new worker) already reports the new generation.
  const oldWorkers = master === null ? new Set<string>() : acceptingWorkers(master);

  mkdirSync(prefix, { recursive: true });
  writeFileSync(files.next, config);
  await runOrThrow(script('nginx-reload'), [prefix, files.next, files.live], { timeoutSeconds: SCRIPT_TIMEOUT_SECONDS });

  const timeoutMs = options.confirmTimeoutMs ?? 5000;
  const deadline = Date.now() + timeoutMs;
  let serving: number | null = null;
  let lingering = 0;
  for (;;) {
    serving = await servingGeneration(controlSocket);
    if (serving === generation) {
      const now = master === null ? new Set<string>() : acceptingWorkers(master);
      lingering = [...oldWorkers].filter((w) => now.has(w)).length;
      if (lingering === 0) return;
    }
    if (Date.now() >= deadline) break;
    await sleep(10); // a reload takes ~100 ms with 100 services: asked often, it is seen at once
  }
  const reason = lastErrorLogLine(prefix);
  const state = serving === generation
    ? `${lingering} old worker(s) still accepting`
    : `serving: ${serving ?? 'nothing'}`;
  throw new Error(
    `nginx did not confirm generation ${generation} within ${timeoutMs / 1000} s ` +
    `(${state})${reason ? `; error.log: ${reason}` : ''}`,
  );
}
