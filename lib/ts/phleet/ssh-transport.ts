// The control channel to a remote ship: the same JSON lines as the local
// socket, carried by ssh to `starphleet ship control` on the ship, which
// relays them to its agent's root-only socket. Uses the system's OpenSSH
// client (keys, agents, known_hosts and ProxyJump work as users expect).
import { spawn } from 'node:child_process';
import { ShipUnreachable, type ControlRequest, type ControlResponse, type ShipStream, type ShipTransport } from './transport.js';

export interface SshTarget {
  user: string;
  host: string;
  port: number;
}

export interface SshShip extends SshTarget {
  root: string;            // the ship's --root on that host
  identity?: string;       // private key file (-i)
  knownHosts?: string;     // UserKnownHostsFile (accept-new into it)
}

const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$/;
const USER = /^[a-z_][a-z0-9_.-]*$/;
const SAFE_PATH = /^\/[A-Za-z0-9._/@+,=:~-]*$/;

/** `[user@]host[:port]` → its parts (user root, port 22 by default); throws one clear line. */
export function parseTarget(text: string): SshTarget {
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(text);
  if (!m) throw new Error(`ship target '${text}' must look like [user@]host[:port]`);
  const user = m[1] ?? 'root';
  const host = m[2];
  const port = m[3] === undefined ? 22 : Number(m[3]);
  if (!USER.test(user)) throw new Error(`ship target '${text}': '${user}' is not a user name`);
  if (!HOST.test(host)) throw new Error(`ship target '${text}': '${host}' is not a host name or address`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`ship target '${text}': port must be 1-65535`);
  return { user, host, port };
}

export function formatTarget(t: SshTarget): string {
  return `${t.user}@${t.host}${t.port === 22 ? '' : `:${t.port}`}`;
}

/** System folders a ship root must never be (remove ship deletes its root). */
const SYSTEM_DIRS = new Set(['/', '/bin', '/boot', '/dev', '/etc', '/home', '/lib', '/lib64', '/opt', '/proc', '/root', '/run',
  '/sbin', '/srv', '/sys', '/tmp', '/usr', '/var', '/var/lib', '/var/log', '/usr/local', '/mnt', '/media']);

export function validateRemoteRoot(root: string): void {
  if (!SAFE_PATH.test(root) || root.includes('..')) {
    throw new Error(`ship root '${root}' must be an absolute path of letters, digits and . _ / @ + , = : ~ -`);
  }
  const plain = root.replace(/\/+$/, '') || '/';
  if (SYSTEM_DIRS.has(plain)) throw new Error(`ship root '${root}' is a system folder; use a folder of its own such as /var/starphleet`);
}

/** ssh's own arguments (pure): no prompts, a bounded connect, the ship's key. */
export function sshArgs(ship: SshShip, connectTimeoutSeconds = 5): string[] {
  const args = [
    '-o', 'BatchMode=yes',
    '-o', `ConnectTimeout=${connectTimeoutSeconds}`,
    '-o', 'ServerAliveInterval=15',
    '-o', 'StrictHostKeyChecking=accept-new',
    '-p', String(ship.port),
  ];
  if (ship.knownHosts) args.push('-o', `UserKnownHostsFile=${ship.knownHosts}`);
  if (ship.identity) args.push('-i', ship.identity, '-o', 'IdentitiesOnly=yes');
  args.push('-l', ship.user, ship.host.replace(/^\[|\]$/g, ''));
  return args;
}

/** The ship's own binary, installed by `add ship` under its root. */
export function remoteBinary(root: string): string {
  return `${root}/bin/starphleet`;
}

export class SshTransport implements ShipTransport {
  constructor(private readonly ship: SshShip) {
    validateRemoteRoot(ship.root);
  }

  get describe(): string {
    return `${formatTarget(this.ship)} (${this.ship.root})`;
  }

  request(req: ControlRequest, timeoutMs = 10_000): Promise<ControlResponse> {
    const remote = `${remoteBinary(this.ship.root)} ship control --root ${this.ship.root}`;
    return new Promise((resolve, reject) => {
      const child = spawn('ssh', [...sshArgs(this.ship, Math.max(1, Math.min(10, Math.ceil(timeoutMs / 1000)))), remote], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      let settled = false;
      const done = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        done(() => reject(new ShipUnreachable(`no answer from ${this.describe} within ${timeoutMs / 1000} s`)));
      }, timeoutMs);
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        out += c;
        const nl = out.indexOf('\n');
        if (nl === -1) return;
        child.stdin.end();
        try {
          const res = JSON.parse(out.slice(0, nl)) as ControlResponse;
          done(() => resolve(res));
        } catch {
          done(() => reject(new Error(`${this.describe} sent an unreadable answer`)));
        }
      });
      child.stderr.setEncoding('utf8').on('data', (c: string) => { err += c; });
      child.on('error', (e) => done(() => reject(new ShipUnreachable(`cannot run ssh: ${e.message}`))));
      child.on('close', (code) => {
        const last = err.trim().split('\n').filter(Boolean).pop() ?? `ssh exited with status ${code ?? 'unknown'}`;
        done(() => reject(new ShipUnreachable(`${this.describe}: ${last.replace(/^starphleet: /, '')}`)));
      });
      child.stdin.on('error', () => undefined);
      child.stdin.write(JSON.stringify(req) + '\n');
    });
  }

  /** A streaming request (logs --follow) relayed by the ship's `ship control` until either side ends it. */
  stream(req: ControlRequest, onMessage: (msg: ControlResponse) => void): ShipStream {
    const remote = `${remoteBinary(this.ship.root)} ship control --root ${this.ship.root}`;
    const child = spawn('ssh', [...sshArgs(this.ship), remote], { stdio: ['pipe', 'pipe', 'pipe'] });
    let closing = false;
    const done = new Promise<void>((resolve, reject) => {
      let buf = '';
      let err = '';
      let got = false;
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        const parts = (buf + c).split('\n');
        buf = parts.pop() ?? '';
        for (const line of parts) {
          if (line === '') continue;
          got = true;
          try {
            onMessage(JSON.parse(line) as ControlResponse);
          } catch (e) {
            child.kill('SIGTERM');
            reject(e instanceof SyntaxError ? new Error(`${this.describe} sent an unreadable answer`) : e);
            return;
          }
        }
      });
      child.stderr.setEncoding('utf8').on('data', (c: string) => { err += c; });
      child.on('error', (e) => reject(new ShipUnreachable(`cannot run ssh: ${e.message}`)));
      child.on('close', (code) => {
        if (closing || got || code === 0) { resolve(); return; }
        const last = err.trim().split('\n').filter(Boolean).pop() ?? `ssh exited with status ${code ?? 'unknown'}`;
        reject(new ShipUnreachable(`${this.describe}: ${last.replace(/^starphleet: /, '')}`));
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.write(JSON.stringify({ ...req, stream: true }) + '\n');
    return {
      done,
      close: () => { closing = true; child.kill('SIGTERM'); },
      pause: () => child.stdout.pause(),
      resume: () => child.stdout.resume(),
    };
  }
}
