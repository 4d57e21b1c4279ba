// The control channel between the CLI and a ship's agent. One request, one
// response, each a line of JSON. ShipTransport is the only thing a command
// needs: a local ship's unix socket, or the same lines over ssh (ssh-transport.ts).
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
  /**
   * A streaming request (`"stream": true` is added): the agent answers with
   * any number of JSON lines, each handed to onMessage, until either side
   * closes. The first line is {ok, error?}. Resolves when the stream ends;
   * close() ends it from this side; pause()/resume() stop and restart
   * reading (the agent then drops lines for this reader, with a gap record).
   */
  stream(req: ControlRequest, onMessage: (msg: ControlResponse) => void): ShipStream;
}

export interface ShipStream {
  done: Promise<void>;
  close(): void;
  pause(): void;
  resume(): void;
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
        reject(this.unreachable(err));
      });
    });
  }

  private unreachable(err: NodeJS.ErrnoException): ShipUnreachable {
    return new ShipUnreachable(err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
      ? `no ship agent is running (nothing listening on ${this.socketPath}); start one with 'starphleet ship run'`
      : `cannot reach the ship agent at ${this.socketPath}: ${err.message}`);
  }

  stream(req: ControlRequest, onMessage: (msg: ControlResponse) => void): ShipStream {
    const sock = connect(this.socketPath);
    const done = new Promise<void>((resolve, reject) => {
      let buf = '';
      let failed = false;
      sock.setEncoding('utf8');
      sock.on('connect', () => sock.write(JSON.stringify({ ...req, stream: true }) + '\n'));
      sock.on('data', (chunk: string) => {
        const parts = (buf + chunk).split('\n');
        buf = parts.pop() ?? '';
        for (const line of parts) {
          try {
            onMessage(JSON.parse(line) as ControlResponse);
          } catch (err) {
            failed = true;
            sock.destroy();
            reject(err instanceof SyntaxError ? new Error('the ship agent sent an unreadable answer') : err);
            return;
          }
        }
      });
      sock.on('error', (err: NodeJS.ErrnoException) => { failed = true; reject(this.unreachable(err)); });
      sock.on('close', () => { if (!failed) resolve(); });
    });
    return { done, close: () => { sock.end(); sock.destroy(); }, pause: () => sock.pause(), resume: () => sock.resume() };
  }
}
