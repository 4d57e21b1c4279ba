// `add ship` / `remove ship`, the remote half: over ssh, put the single
// binary and the ship's settings under its root, start the agent under the
// host's init (lib/sh/ship-service), wait for its control channel; or stop
// and remove all of it again. Nothing is needed on the host beforehand but
// sshd, LXC, nginx and git (the package mirror it already uses).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assets } from '../core/assets.js';
import { self } from '../core/self.js';
import { remoteBinary, sshArgs, SshTransport, type SshShip } from './ssh-transport.js';

export interface ShipSettings {
  headquarters: string;
  httpPort?: number;
  pulseSeconds?: number;
  bridge?: string;
  subnet?: string;
  nat?: boolean;
  base?: string;
  init?: 'auto' | 'systemd' | 'upstart' | 'keepalive';
  awaitSecrets?: number;   // the phleet's secret-set version: the agent waits (bounded) for it before its first deploy
  httpsPort?: number;
  acmeDirectory?: string;  // a URL, or off
  acmeEmail?: string;
  acmeCa?: string;         // a PEM file on the ship the ACME client trusts
}

const ENV_VALUE = /^[A-Za-z0-9._/@+,=:~#%-]*$/;

/** ROOT/ship.env (pure): plain KEY=value lines, read by systemd, Upstart and ship-keepalive. */
export function shipEnvText(root: string, s: ShipSettings): string {
  const pairs: Array<[string, string | undefined]> = [
    ['STARPHLEET_ROOT', root],
    ['STARPHLEET_HEADQUARTERS', s.headquarters],
    ['STARPHLEET_HTTP_PORT', s.httpPort?.toString()],
    ['STARPHLEET_PULSE', s.pulseSeconds?.toString()],
    ['STARPHLEET_BRIDGE', s.bridge],
    ['STARPHLEET_SUBNET', s.subnet],
    ['STARPHLEET_NAT', s.nat === undefined ? undefined : s.nat ? 'on' : 'off'],
    ['STARPHLEET_BASE', s.base],
    ['STARPHLEET_INIT', s.init],
    ['STARPHLEET_AWAIT_SECRETS', s.awaitSecrets?.toString()],
    ['STARPHLEET_HTTPS_PORT', s.httpsPort?.toString()],
    ['STARPHLEET_ACME_DIRECTORY', s.acmeDirectory],
    ['STARPHLEET_ACME_EMAIL', s.acmeEmail],
    ['STARPHLEET_ACME_CA', s.acmeCa],
  ];
  const lines = ['# Written by `starphleet add ship`; read by the agent\'s init job.'];
  for (const [k, v] of pairs) {
    if (v === undefined || v === '') continue;
    if (!ENV_VALUE.test(v)) throw new Error(`ship setting ${k}='${v}' holds characters an environment file cannot carry`);
    lines.push(`${k}=${v}`);
  }
  return lines.join('\n') + '\n';
}

/** The single binary to install on ships: this one when compiled, else the checkout's dist/starphleet. */
export function localBinary(): string {
  const me = self();
  if (me.length === 1) return me[0];
  const built = join(assets().root, 'dist', 'starphleet');
  if (existsSync(built)) return built;
  throw new Error(`add ship installs the single binary, and ${built} does not exist: run 'make' first`);
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

interface SshResult { code: number; stdout: string; stderr: string }

/** Run one remote shell command (stdin from a file or a string), bounded in time. */
export function sshRun(ship: SshShip, command: string, input?: { file?: string; text?: string }, timeoutSeconds = 120): Promise<SshResult> {
  return new Promise((resolve) => {
    const child = spawn('ssh', [...sshArgs(ship), command], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); stderr += `\ntimed out after ${timeoutSeconds} s`; }, timeoutSeconds * 1000);
    child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
    child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    child.stdin.on('error', () => undefined);
    if (input?.file) createReadStream(input.file).pipe(child.stdin);
    else child.stdin.end(input?.text ?? '');
    child.on('error', (e) => { clearTimeout(timer); resolve({ code: 127, stdout, stderr: `cannot run ssh: ${e.message}` }); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? 255, stdout, stderr }); });
  });
}

async function sshOrThrow(ship: SshShip, what: string, command: string, input?: { file?: string; text?: string }, timeoutSeconds?: number): Promise<string> {
  const r = await sshRun(ship, command, input, timeoutSeconds);
  if (r.code !== 0) {
    const last = r.stderr.trim().split('\n').filter(Boolean).pop() ?? `exit status ${r.code}`;
    throw new Error(`${what}: ${last}`);
  }
  return r.stdout;
}

/** Install (or upgrade) and start a ship; resolves once its agent answers. */
export async function installShip(ship: SshShip, settings: ShipSettings, say: (line: string) => void, readyTimeoutSeconds = 120): Promise<void> {
  const root = ship.root;
  const bin = remoteBinary(root);
  const local = localBinary();
  const have = await sshRun(ship, `sha256sum ${bin} 2>/dev/null | cut -d' ' -f1`, undefined, 30);
  if (have.code === 255) throw new Error(`cannot reach ${ship.user}@${ship.host}:${ship.port} over ssh: ${have.stderr.trim().split('\n').pop() ?? ''}`);
  if (have.stdout.trim() === sha256(local)) {
    say('binary: up to date');
  } else {
    await sshOrThrow(ship, 'copying the binary',
      `set -e; mkdir -p ${root}/bin ${root}/logs; cat >${bin}.new; chmod 755 ${bin}.new; mv -f ${bin}.new ${bin}`,
      { file: local }, 600);
    say(`binary: installed at ${bin}`);
  }
  await sshOrThrow(ship, 'writing the ship settings', `set -e; umask 077; cat >${root}/ship.env.new; mv -f ${root}/ship.env.new ${root}/ship.env`, { text: shipEnvText(root, settings) });
  const started = await sshOrThrow(ship, 'starting the agent', `${bin} ship service install --root ${root}`, undefined, 120);
  say(started.trim());
  const transport = new SshTransport(ship);
  const deadline = Date.now() + readyTimeoutSeconds * 1000;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await transport.request({ cmd: 'ping' }, 15_000);
      if (res.ok) { say(`agent answering (pid ${String(res.pid)})`); return; }
      last = res.error ?? 'not ok';
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const tail = await sshRun(ship, `tail -q -n 5 ${root}/logs/agent.log ${root}/logs/agent.out 2>/dev/null`, undefined, 15);
  throw new Error(`the agent on ${transport.describe} did not answer within ${readyTimeoutSeconds} s: ${last}${tail.stdout.trim() ? `; agent log: ${tail.stdout.trim().split('\n').pop()}` : ''}`);
}

/** Stop the agent, its containers and nginx, remove its init job and its root. */
export async function uninstallShip(ship: SshShip, say: (line: string) => void): Promise<void> {
  const root = ship.root;
  const bin = remoteBinary(root);
  const out = await sshOrThrow(ship, 'removing the ship',
    `set -e; if [ -x ${bin} ]; then ${bin} ship service uninstall --root ${root}; ${bin} ship down --root ${root}; fi; rm -rf ${root}`,
    undefined, 180);
  for (const line of out.trim().split('\n').filter(Boolean)) say(line);
}
