// The ship's dashboard and its HTTP control endpoints, served by the agent
// on a unix socket (ROOT/run/dashboard.sock) that the ship's nginx proxies
// /starphleet/ to. Every endpoint but the login needs the ship's token
// (ROOT/dashboard.token, 0600) as `Authorization: Bearer TOKEN`, or a
// session cookie. A session starts from a one-time login code (valid 10
// minutes, asked for by `starphleet dashboard` over the root-only control
// socket), so the token itself never lands in a URL or a browser's history;
// sessions are random and expire after 12 hours. Apps on the bridge and
// builds on the host network reach nginx too; without the token they get 401.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { streamReader, type LogHub } from '../logs/hub.js';
import { type LogRecord } from '../logs/ring.js';
import { logQuery } from '../logs/control.js';
import type { ShipStatus } from '../agent/status.js';
import type { ServiceReleases } from '../process/releases-view.js';
import { BadHookLimiter, verifyPushHook } from '../hooks/push-hook.js';

export const DASHBOARD_PREFIX = '/starphleet';
const COOKIE = 'starphleet_session';

/** The ship's token: made once (32 random bytes, hex), kept root-only. */
export function ensureToken(file: string): string {
  if (existsSync(file)) {
    const t = readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{64}$/.test(t)) {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
      return t;
    }
  }
  mkdirSync(dirname(file), { recursive: true });
  const t = randomBytes(32).toString('hex');
  writeFileSync(file, `${t}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return t;
}

/** Random secrets that are good until they expire (and, for login codes, once). */
export class Expiring {
  private readonly live = new Map<string, number>();

  constructor(private readonly ttlMs: number, private readonly now: () => number = Date.now) {}

  issue(): string {
    this.sweep();
    const v = randomBytes(16).toString('hex');
    this.live.set(v, this.now() + this.ttlMs);
    return v;
  }

  /** Whether v is live; `consume` makes it single-use. */
  check(v: string, consume = false): boolean {
    this.sweep();
    if (!/^[0-9a-f]{32}$/.test(v) || !this.live.has(v)) return false;
    if (consume) this.live.delete(v);
    return true;
  }

  private sweep(): void {
    const t = this.now();
    for (const [k, until] of this.live) if (until <= t) this.live.delete(k);
  }
}

export const LOGIN_CODE_MS = 10 * 60_000;
export const SESSION_MS = 12 * 3600_000;

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookie(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return null;
}

export interface DashboardDeps {
  socketPath: string;
  loginCodes: Expiring;             // issued by the agent's control request 'dashboard-login'
  tokenFile: string;
  staticDir: () => string;          // lib/dashboard (index.html, app.js, metrics.js, style.css, vendor/)
  status: () => ShipStatus;
  releases: () => ServiceReleases[];
  hub: LogHub;
  knownService: (path: string) => boolean;
  /** The git push hook: the ship's hook secret (null: none set), and what a good hook does (poll now). */
  hookSecret: () => Buffer | null;
  /** Request metrics: Prometheus text (/starphleet/metrics) and JSON with the last hour's points (/starphleet/api/metrics). */
  metricsText: () => string;
  metricsJson: () => unknown;
  onPush: (host: string) => void;
}

/** A push event's body, at most (GitHub caps its payloads at 25 MB; a push's list of commits is far less). */
const HOOK_BODY_MAX = 5 * 1024 * 1024;

const STATIC: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'metrics.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
  // uPlot (MIT), copied from its npm package by `make` and bundled in the binary.
  'vendor/uPlot.iife.min.js': 'text/javascript; charset=utf-8',
  'vendor/uPlot.min.css': 'text/css; charset=utf-8',
};

export function serveDashboard(deps: DashboardDeps): Promise<Server> {
  const token = ensureToken(deps.tokenFile);
  const sessions = new Expiring(SESSION_MS);
  const authorized = (req: IncomingMessage): boolean => {
    const auth = req.headers.authorization ?? '';
    if (auth.startsWith('Bearer ') && same(auth.slice(7).trim(), token)) return true;
    const c = cookie(req, COOKIE);
    return c !== null && sessions.check(c);
  };
  const send = (res: ServerResponse, code: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void => {
    res.writeHead(code, {
      'Content-Type': type, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff',
      // Its own scripts and styles only, and never inside another site's frame.
      'Content-Security-Policy': "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
      'X-Frame-Options': 'DENY',
      ...headers,
    });
    res.end(body);
  };

  const badHooks = new BadHookLimiter();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://ship');
    const path = url.pathname;
    // The push hook needs no ship token: its signature authenticates it.
    if (path === `${DASHBOARD_PREFIX}/hooks/git`) { pushHook(req, res); return; }
    if (req.method !== 'GET' && req.method !== 'HEAD') { send(res, 405, 'text/plain', 'only GET\n'); return; }
    if (path === `${DASHBOARD_PREFIX}/dashboard/login`) {
      const code = url.searchParams.get('code') ?? '';
      if (!deps.loginCodes.check(code, true)) {
        send(res, 401, 'text/plain', 'this login link is used, expired or wrong: run `starphleet dashboard` for a new one\n');
        return;
      }
      send(res, 303, 'text/plain', 'logged in\n', {
        Location: `${DASHBOARD_PREFIX}/dashboard/`,
        // Secure when the request reached nginx over HTTPS (nginx says so; only nginx reaches this socket).
        'Set-Cookie': `${COOKIE}=${sessions.issue()}; Path=${DASHBOARD_PREFIX}/; Max-Age=${SESSION_MS / 1000}; HttpOnly; SameSite=Strict${req.headers['x-forwarded-proto'] === 'https' ? '; Secure' : ''}`,
        'Referrer-Policy': 'no-referrer',
      });
      return;
    }
    if (!authorized(req)) {
      send(res, 401, 'text/plain', 'this ship needs its token: open the URL `starphleet dashboard` prints on the ship\n', { 'WWW-Authenticate': 'Bearer' });
      return;
    }
    if (path === `${DASHBOARD_PREFIX}/dashboard`) { send(res, 301, 'text/plain', '', { Location: `${DASHBOARD_PREFIX}/dashboard/` }); return; }
    const file = path === `${DASHBOARD_PREFIX}/dashboard/` ? 'index.html' : path.startsWith(`${DASHBOARD_PREFIX}/dashboard/`) ? path.slice(`${DASHBOARD_PREFIX}/dashboard/`.length) : null;
    if (file !== null) {
      if (!STATIC[file]) { send(res, 404, 'text/plain', 'not found\n'); return; }
      try {
        send(res, 200, STATIC[file], readFileSync(join(deps.staticDir(), file)));
      } catch (err) {
        send(res, 500, 'text/plain', `dashboard file missing: ${(err as Error).message}\n`);
      }
      return;
    }
    if (path === `${DASHBOARD_PREFIX}/api/status`) { send(res, 200, 'application/json', JSON.stringify(deps.status())); return; }
    if (path === `${DASHBOARD_PREFIX}/metrics`) { send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', deps.metricsText()); return; }
    if (path === `${DASHBOARD_PREFIX}/api/metrics`) { send(res, 200, 'application/json', JSON.stringify({ services: deps.metricsJson() })); return; }
    if (path === `${DASHBOARD_PREFIX}/api/releases`) { send(res, 200, 'application/json', JSON.stringify({ services: deps.releases() })); return; }
    if (path === `${DASHBOARD_PREFIX}/api/logs` || path === `${DASHBOARD_PREFIX}/api/events`) {
      const q = logQuery({
        cmd: 'logs',
        service: url.searchParams.get('service') ?? undefined,
        grep: url.searchParams.get('grep') ?? undefined,
        since: url.searchParams.get('since') ?? undefined,
        lines: url.searchParams.has('lines') ? Number(url.searchParams.get('lines')) : undefined,
      }, deps.knownService);
      if ('error' in q) { send(res, 400, 'text/plain', `${q.error}\n`); return; }
      if (path.endsWith('/logs')) { send(res, 200, 'application/json', JSON.stringify(deps.hub.tail(q.filter, q.lines))); return; }
      // Server-sent events: `status` every second, `log` for every new line.
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
      const encode = (r: LogRecord): string => `event: log\ndata: ${JSON.stringify(r)}\n\n`;
      const pushStatus = (): void => { res.write(`event: status\ndata: ${JSON.stringify(deps.status())}\n\n`); };
      pushStatus();
      for (const r of deps.hub.tail(q.filter, q.lines)) res.write(encode(r));
      const unsubscribe = deps.hub.subscribe(streamReader(deps.hub.ship, res, q.filter, encode));
      const timer = setInterval(pushStatus, 1000);
      const end = (): void => { clearInterval(timer); unsubscribe(); };
      req.on('close', end);
      res.on('error', end);
      return;
    }
    send(res, 404, 'text/plain', 'not found\n');
  });
  function pushHook(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'POST') { send(res, 405, 'text/plain', 'the push hook takes POST\n', { Allow: 'POST' }); return; }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > HOOK_BODY_MAX) { over = true; req.destroy(); return; }
      chunks.push(c);
    });
    req.on('error', () => undefined);
    req.on('end', () => {
      if (over) return;
      const secret = deps.hookSecret();
      if (!secret) { send(res, 404, 'text/plain', 'no push hook on this ship: set its secret with `starphleet webhook secret -`\n'); return; }
      const verdict = verifyPushHook(req.headers, Buffer.concat(chunks), secret);
      if (!verdict.ok) {
        const code = badHooks.bad(Date.now());
        send(res, code, 'text/plain', code === 429 ? 'too many bad push hooks; try again in a minute\n' : `push hook refused: ${verdict.why}\n`);
        return;
      }
      deps.onPush(verdict.host);
      send(res, 202, 'application/json', JSON.stringify({ ok: true, polling: true }));
    });
    req.on('close', () => { if (over && !res.headersSent) res.destroy(); });
  }

  mkdirSync(dirname(deps.socketPath), { recursive: true });
  rmSync(deps.socketPath, { force: true });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(deps.socketPath, () => {
      // nginx's unprivileged workers connect here; the token guards it.
      chmodSync(deps.socketPath, 0o666);
      resolve(server);
    });
  });
}
