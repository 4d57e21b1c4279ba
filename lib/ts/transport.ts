// The control channel between the CLI and a ship's agent. One request, one
// response, each a line of JSON. ShipTransport is the only thing a command
// needs; today it is a local unix socket, later the same lines over ssh.
import { connect } from 'node:net';

export interface ControlRequest {
  cmd: string;
  [key: string]: unknown;
}

export interface ControlResponse {
  ok: boolean;
  error?: string;
  [key: string]: unknown;
}

export interface ShipTransport {
  readonly describe: string;
  request(req: ControlRequest, timeoutMs?: number): Promise<ControlResponse>;
}

export class ShipUnreachable extends Error {}

/** Talks to the agent through ROOT/run/control.sock. */
export class LocalSocketTransport implements ShipTransport {
  constructor(private readonly socketPath: string) {}

  get describe(): string {
    return `local ship (${this.socketPath})`;
  }

  request(req: ControlRequest, timeoutMs = 10_000): Promise<ControlResponse> {
    return new Promise((resolve, reject) => {
      const sock = connect(this.socketPath);
      let buf = '';
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new ShipUnreachable(`no answer from the ship agent within ${timeoutMs / 1000} s (${this.socketPath})`));
      }, timeoutMs);
      sock.setEncoding('utf8');
      sock.on('connect', () => sock.write(JSON.stringify(req) + '\n'));
      sock.on('data', (chunk: string) => {
        buf += chunk;
        const nl = buf.indexOf('\n');
        if (nl === -1) return;
        clearTimeout(timer);
        sock.end();
        try {
          resolve(JSON.parse(buf.slice(0, nl)) as ControlResponse);
        } catch {
          reject(new Error('the ship agent sent an unreadable answer'));
        }
      });
      sock.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const why = err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
          ? `no ship agent is running (nothing listening on ${this.socketPath}); start one with 'starphleet ship run'`
          : `cannot reach the ship agent at ${this.socketPath}: ${err.message}`;
        reject(new ShipUnreachable(why));
      });
    });
  }
}
