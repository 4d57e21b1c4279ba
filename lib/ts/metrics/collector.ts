// The front door's request metrics, collected: nginx sends one syslog
// datagram per request (service, status, time, bytes) to a UDP socket on
// loopback that this agent holds; each is counted into its service's
// metrics, and every 10 s a point closes. Nothing is written to disk, and
// nothing in the request path waits for the agent (a lost datagram is a
// request not counted). A restarted agent starts counting afresh.
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { POINT_SECONDS, parseAccessLine, ServiceMetrics, type Usage } from './aggregate.js';

export class MetricsCollector {
  readonly services = new Map<string, ServiceMetrics>();
  private socket: Socket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private port = 0;

  /**
   * paths: the ship's services (only they are counted, and each gets a point
   * every 10 s, requests or not); usage: a service's serving container's
   * memory, CPU and restarts.
   */
  constructor(
    private readonly paths: () => string[],
    private readonly usage: (path: string) => Usage | null,
    /** Open streams by service path, asked of nginx before each point (optional). */
    private readonly streams?: () => Promise<Map<string, number>>,
  ) {}

  /** The open streams as of the last point (or the last ask). */
  private openStreams = new Map<string, number>();
  private streamsKnown = false;

  // The service paths as of the last look: read again at each tick, and at most every 250 ms on a miss.
  private knownPaths = new Set<string>();
  private knownAt = 0;
  private known(path: string): boolean {
    if (this.knownPaths.has(path)) return true;
    if (Date.now() - this.knownAt < 250) return false;
    this.knownPaths = new Set(this.paths());
    this.knownAt = Date.now();
    return this.knownPaths.has(path);
  }

  /**
   * portFile: the port the last agent used, taken again when it is free, so
   * nginx's lines keep arriving across an agent restart before its routes
   * are applied anew (while no agent listens, nginx notes each failed send
   * in its error log).
   */
  async start(portFile?: string): Promise<void> {
    const last = portFile ? Number((() => { try { return readFileSync(portFile, 'utf8').trim(); } catch { return '0'; } })()) || 0 : 0;
    const bind = (port: number): Promise<Socket | null> => new Promise((resolve) => {
      const s = createSocket('udp4');
      s.once('error', () => { s.close(); resolve(null); });
      s.bind(port, '127.0.0.1', () => { s.removeAllListeners('error'); s.on('error', () => undefined); resolve(s); });
    });
    const s = (last ? await bind(last) : null) ?? await bind(0);
    if (!s) throw new Error('cannot open the metrics socket on 127.0.0.1');
    s.on('message', (msg) => this.take(msg.toString('utf8')));
    this.port = s.address().port;
    this.socket = s;
    if (portFile) writeFileSync(portFile, `${this.port}\n`);
    this.timer = setInterval(() => { void this.refreshStreams().finally(() => this.tick(new Date())); }, POINT_SECONDS * 1000);
    this.timer.unref();
  }

  usageOf(path: string): Usage | null {
    const u = this.usage(path);
    return u ? { ...u, openStreams: this.streamsKnown ? this.openStreams.get(path) ?? 0 : null } : null;
  }

  /** Ask nginx for its open streams (kept for the next point and the endpoints); a failure keeps none. */
  async refreshStreams(): Promise<void> {
    if (!this.streams) return;
    try {
      this.openStreams = await this.streams();
      this.streamsKnown = true;
    } catch {
      this.streamsKnown = false;
    }
  }

  /** Where nginx sends its lines ("127.0.0.1:PORT"), once started. */
  address(): string | null {
    return this.socket ? `127.0.0.1:${this.port}` : null;
  }

  take(datagram: string): void {
    const l = parseAccessLine(datagram);
    if (!l || !this.known(l.service)) return;
    let m = this.services.get(l.service);
    if (!m) { m = new ServiceMetrics(); this.services.set(l.service, m); }
    m.record(l);
  }

  tick(at: Date): void {
    const now = new Set(this.paths());
    this.knownPaths = now;
    this.knownAt = Date.now();
    for (const path of this.services.keys()) if (!now.has(path)) this.services.delete(path);
    for (const path of now) {
      let m = this.services.get(path);
      if (!m) { m = new ServiceMetrics(); this.services.set(path, m); }
      m.tick(at, this.usageOf(path));
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.socket?.close();
    this.socket = null;
  }
}
