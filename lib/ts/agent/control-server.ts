// Agent side of the control channel: a unix socket, mode 0600 (root only),
// one JSON request line in, one JSON response line out.
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { ControlRequest, ControlResponse } from '../phleet/transport.js';

export type ControlHandler = (req: ControlRequest) => Promise<ControlResponse>;
/**
 * A streaming request (`"stream": true`): the handler writes JSON lines to
 * the socket itself until it or the client closes it (see ShipTransport.stream).
 */
export type ControlStreamHandler = (req: ControlRequest, sock: Socket) => void;

export function serveControl(socketPath: string, handler: ControlHandler, streamHandler?: ControlStreamHandler): Promise<Server> {
  mkdirSync(dirname(socketPath), { recursive: true, mode: 0o700 });
  rmSync(socketPath, { force: true });
  const server = createServer((sock) => {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('error', () => sock.destroy());
    sock.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl === -1) {
        if (buf.length > 1_000_000) sock.destroy();
        return;
      }
      let req: ControlRequest;
      try {
        req = JSON.parse(buf.slice(0, nl)) as ControlRequest;
      } catch {
        sock.end(JSON.stringify({ ok: false, error: 'request is not JSON' }) + '\n');
        return;
      }
      if (req.stream === true && streamHandler) {
        sock.removeAllListeners('data');
        streamHandler(req, sock);
        return;
      }
      handler(req)
        .catch((err: Error): ControlResponse => ({ ok: false, error: err.message }))
        .then((res) => sock.end(JSON.stringify(res) + '\n'));
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const oldMask = process.umask(0o177);
    server.listen(socketPath, () => {
      process.umask(oldMask);
      chmodSync(socketPath, 0o600);
      resolve(server);
    });
  });
}
