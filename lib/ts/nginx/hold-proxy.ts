// The hold: nginx's backup upstream for every service. When a service's only
// container is down for a moment (a crash restart, a healthcheck restart),
// nginx cannot connect to it and hands the request to this unix socket
// instead of answering 502. The hold keeps the request waiting until the
// service answers its healthcheck again, then passes it on (websocket
// upgrades included). A request that waits longer than the service's
// healthcheck budget gets a plain 503. Every answer closes its connection,
// so nginx never keeps an idle connection to the hold that a later crash
// could break. Serving never depends on the hold: while containers are up
// nginx does not use it.
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';

export interface HoldTarget {
  host: string;
  port: number;
}

export interface HoldHooks {
  /** How long a request may wait for its service (its healthcheck budget). */
  budgetMs(serviceId: string): number;
  /** Resolves to where the service answers again, or null when it does not by the deadline. */
  waitForService(serviceId: string, deadline: number): Promise<HoldTarget | null>;
  /** Called when a request starts waiting (the agent looks at its containers at once). */
  onHold(serviceId: string): void;
}

const UNAVAILABLE_BODY = 'the service did not come back in time\n';

export class HoldProxy {
  private readonly servers = new Map<string, Server>();

  constructor(private readonly dir: string, private readonly hooks: HoldHooks) {}

  socketPath(serviceId: string): string {
    return join(this.dir, `${serviceId}.sock`);
  }

  /** Listen for exactly these services (new ones opened, gone ones closed). */
  async ensure(serviceIds: string[]): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    chmodSync(this.dir, 0o711); // nginx's unprivileged workers connect to the sockets in it
    const want = new Set(serviceIds);
    for (const [id, server] of this.servers) {
      if (want.has(id)) continue;
      server.close();
      server.closeAllConnections();
      this.servers.delete(id);
      rmSync(this.socketPath(id), { force: true });
    }
    for (const id of want) {
      if (!this.servers.has(id)) this.servers.set(id, await this.listen(id));
    }
  }

  close(): void {
    for (const [id, server] of this.servers) {
      server.close();
      server.closeAllConnections();
      rmSync(this.socketPath(id), { force: true });
    }
    this.servers.clear();
  }

  private listen(serviceId: string): Promise<Server> {
    const path = this.socketPath(serviceId);
    rmSync(path, { force: true });
    const server = createServer((req, res) => { void this.forward(serviceId, req, res); });
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => { void this.tunnel(serviceId, req, socket, head); });
    server.on('clientError', (_err, socket: Socket) => socket.destroy());
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        // nginx workers run unprivileged; the socket reaches only what nginx serves anyway.
        chmodSync(path, 0o666);
        resolve(server);
      });
    });
  }

  /** Wait for the service, then a connected socket to it; null when the budget runs out. */
  private async reach(serviceId: string, gone: () => boolean): Promise<Socket | null> {
    this.hooks.onHold(serviceId);
    const deadline = Date.now() + this.hooks.budgetMs(serviceId);
    while (!gone()) {
      const target = await this.hooks.waitForService(serviceId, deadline);
      if (!target || gone()) return null;
      // It may die again between its healthcheck and this connect: wait again.
      const socket = await connectTo(target);
      if (socket) return socket;
      this.hooks.onHold(serviceId);
      await new Promise((r) => setTimeout(r, 100));
    }
    return null;
  }

  private async forward(serviceId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.pause();
    const socket = await this.reach(serviceId, () => res.destroyed || req.destroyed);
    if (!socket) {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(503, { 'Content-Type': 'text/plain', 'Retry-After': '5', Connection: 'close', 'Content-Length': Buffer.byteLength(UNAVAILABLE_BODY) });
        res.end(UNAVAILABLE_BODY);
      }
      return;
    }
    const upstream = request({
      createConnection: () => socket,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, connection: 'close' },
    }, (answer) => {
      const headers: Record<string, string | string[] | undefined> = { ...answer.headers, connection: 'close' };
      delete headers['keep-alive'];
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, headers);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) {
        res.writeHead(502, { 'Content-Type': 'text/plain', Connection: 'close' });
        res.end('the service closed the connection\n');
      } else {
        res.destroy();
      }
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
    req.resume();
  }

  private async tunnel(serviceId: string, req: IncomingMessage, client: Socket, head: Buffer): Promise<void> {
    client.on('error', () => client.destroy());
    const socket = await this.reach(serviceId, () => client.destroyed);
    if (!socket) {
      if (!client.destroyed) client.end(`HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nRetry-After: 5\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(UNAVAILABLE_BODY)}\r\n\r\n${UNAVAILABLE_BODY}`);
      return;
    }
    const lines = [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/${req.httpVersion}`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    socket.write(lines.join('\r\n') + '\r\n\r\n');
    if (head.length) socket.write(head);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => client.destroy());
    client.on('close', () => socket.destroy());
    socket.pipe(client);
    client.pipe(socket);
  }
}

/** A connected socket, or null when the connect fails. */
function connectTo(target: HoldTarget): Promise<Socket | null> {
  return new Promise((resolve) => {
    const s = connect(target.port, target.host);
    const fail = (): void => { s.destroy(); resolve(null); };
    s.once('error', fail);
    s.setTimeout(2000, fail);
    s.once('connect', () => {
      s.removeListener('error', fail);
      s.setTimeout(0);
      resolve(s);
    });
  });
}
