// The hold: nginx's backup upstream for every service. When a service's only
// container is down for a moment (a crash restart, a healthcheck restart),
// nginx cannot connect to it and hands the request to this unix socket
// instead of answering 502. The hold keeps the connection waiting until the
// service answers again, then splices it through byte for byte (plain HTTP,
// keep-alive, websockets and server-sent events alike). A request that waits
// longer than the service's healthcheck budget gets a plain 503.
// Serving never depends on it: while containers are up nginx never uses it.
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';

export interface HoldTarget {
  host: string;
  port: number;
}

export interface HoldHooks {
  /** Resolves to where the service answers again, or null when it does not within the wait. */
  waitForService(serviceId: string): Promise<HoldTarget | null>;
  /** Called when a connection starts waiting (the agent looks at its containers at once). */
  onHold(serviceId: string): void;
}

const UNAVAILABLE =
  'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 39\r\nConnection: close\r\n\r\n' +
  'the service did not come back in time\n';

export class HoldProxy {
  private readonly servers = new Map<string, Server>();
  private readonly sockets = new Set<Socket>();

  constructor(private readonly dir: string, private readonly hooks: HoldHooks) {}

  socketPath(serviceId: string): string {
    return join(this.dir, `${serviceId}.sock`);
  }

  /** Listen for exactly these services (new ones opened, gone ones closed). */
  async ensure(serviceIds: string[]): Promise<void> {
    mkdirSync(this.dir, { recursive: true, mode: 0o755 });
    const want = new Set(serviceIds);
    for (const [id, server] of this.servers) {
      if (want.has(id)) continue;
      server.close();
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
      rmSync(this.socketPath(id), { force: true });
    }
    this.servers.clear();
    for (const s of this.sockets) s.destroy();
  }

  private listen(serviceId: string): Promise<Server> {
    const path = this.socketPath(serviceId);
    rmSync(path, { force: true });
    const server = createServer({ pauseOnConnect: true }, (client) => this.hold(serviceId, client));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        // nginx workers run unprivileged; the socket reaches only what nginx serves anyway.
        chmodSync(path, 0o666);
        resolve(server);
      });
    });
  }

  private hold(serviceId: string, client: Socket): void {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => client.destroy());
    this.hooks.onHold(serviceId);
    void this.hooks.waitForService(serviceId).then((target) => {
      if (client.destroyed) return;
      if (!target) {
        client.end(UNAVAILABLE);
        return;
      }
      const upstream = connect(target.port, target.host);
      this.sockets.add(upstream);
      upstream.on('close', () => { this.sockets.delete(upstream); client.destroy(); });
      client.on('close', () => upstream.destroy());
      upstream.on('error', () => {
        // Nothing was answered yet when the connect itself fails: say so plainly.
        if (upstream.bytesRead === 0 && !client.destroyed) client.end(UNAVAILABLE);
        upstream.destroy();
      });
      upstream.on('connect', () => {
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    }, () => client.end(UNAVAILABLE));
  }
}
