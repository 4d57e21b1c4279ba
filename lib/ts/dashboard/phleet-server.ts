// The phleet dashboard, served on the admiral's machine by `starphleet
// dashboard --serve [ADDR:]PORT`: one page with every ship's services,
// health and metrics (asked over each ship's control channel, the ssh one
// the other phleet commands use, every 5 s) and the ships' logs merged (one
// log stream per ship, opened again 5 s after it ends). A ship that does not
// answer is shown as such, with its last known status. Like the ship's
// dashboard, every endpoint but the login needs a token: a random one made
// at start, handed over once in the printed login URL, then a cookie.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { ShipStatus } from '../agent/status.js';
import type { LogRecord } from '../logs/ring.js';
import type { ServiceMetricsView } from '../metrics/view.js';
import type { ShipHandle } from '../phleet/select.js';
import type { ShipStream } from '../phleet/transport.js';
import { PhleetView, type ShipLogRecord } from './phleet-view.js';

const COOKIE = 'starphleet_phleet';
const POLL_MS = 5000;

const STATIC: Record<string, string> = {
  'phleet.html': 'text/html; charset=utf-8',
  'phleet.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

export interface PhleetDashboard {
  server: Server;
  url: string;          // the login URL (with the token)
  close(): Promise<void>;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function servePhleetDashboard(opts: {
  phleet: string; ships: ShipHandle[]; host: string; port: number; staticDir: string; timeoutMs: number;
}): Promise<PhleetDashboard> {
  const token = randomBytes(32).toString('hex');
  const view = new PhleetView(opts.phleet, opts.ships.map((h) => ({ name: h.label, target: h.entry.target ?? null })));
  const clients = new Set<ServerResponse>();
  let stopped = false;

  // Every ship's status and metrics, each on its own (a slow ship holds up no other).
  const timers = new Map<string, NodeJS.Timeout>();   // one per ship and job: the next poll, the next stream
  for (const h of opts.ships) {
    const ask = async (): Promise<void> => {
      try {
        const [st, me] = await Promise.all([
          h.transport.request({ cmd: 'status' }, opts.timeoutMs),
          h.transport.request({ cmd: 'metrics', points: false }, opts.timeoutMs),
        ]);
        if (!st.ok) throw new Error(st.error ?? 'status failed');
        view.answered(h.label, { ship: st.ship, services: st.services } as ShipStatus, me.ok ? (me.services as ServiceMetricsView[]) : [], new Date());
      } catch (err) {
        view.failed(h.label, (err as Error).message.split('\n')[0], new Date());
      }
      if (!stopped) timers.set(`poll ${h.label}`, setTimeout(() => void ask(), POLL_MS));
    };
    void ask();
  }

  // Every ship's log stream, merged; pushed to each open page.
  const streams = new Map<string, ShipStream>();
  const follow = (h: ShipHandle, first: boolean): void => {
    if (stopped) return;
    const s = h.transport.stream({ cmd: 'logs', lines: first ? 100 : 0 }, (msg) => {
      if (!msg.record) return;
      const r: ShipLogRecord = { ...(msg.record as LogRecord), ship: h.label };
      view.line(r);
      const text = `event: log\ndata: ${JSON.stringify(r)}\n\n`;
      for (const c of clients) c.write(text);
    });
    streams.set(h.label, s);
    s.done.catch(() => undefined).finally(() => {
      streams.delete(h.label);
      if (!stopped) timers.set(`logs ${h.label}`, setTimeout(() => follow(h, false), POLL_MS));
    });
  };
  for (const h of opts.ships) follow(h, true);

  const send = (res: ServerResponse, code: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void => {
    res.writeHead(code, {
      'Content-Type': type, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
      'X-Frame-Options': 'DENY', ...headers,
    });
    res.end(body);
  };
  const authorized = (req: IncomingMessage): boolean => {
    const auth = req.headers.authorization ?? '';
    if (auth.startsWith('Bearer ') && same(auth.slice(7).trim(), token)) return true;
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k === COOKIE && same(v.join('='), token)) return true;
    }
    return false;
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://admiral');
    if (req.method !== 'GET' && req.method !== 'HEAD') { send(res, 405, 'text/plain', 'only GET\n'); return; }
    if (url.pathname === '/login') {
      if (!same(url.searchParams.get('code') ?? '', token)) { send(res, 401, 'text/plain', 'wrong login code: use the URL `starphleet dashboard --serve` printed\n'); return; }
      send(res, 303, 'text/plain', 'logged in\n', {
        Location: '/', 'Set-Cookie': `${COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict`, 'Referrer-Policy': 'no-referrer',
      });
      return;
    }
    if (!authorized(req)) { send(res, 401, 'text/plain', 'log in with the URL `starphleet dashboard --serve` printed\n', { 'WWW-Authenticate': 'Bearer' }); return; }
    const file = url.pathname === '/' ? 'phleet.html' : url.pathname.slice(1);
    if (STATIC[file]) {
      try { send(res, 200, STATIC[file], readFileSync(join(opts.staticDir, file))); } catch (err) { send(res, 500, 'text/plain', `dashboard file missing: ${(err as Error).message}\n`); }
      return;
    }
    if (url.pathname === '/api/phleet') { send(res, 200, 'application/json', JSON.stringify(view.doc())); return; }
    if (url.pathname === '/api/events') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
      for (const r of view.tail(200)) res.write(`event: log\ndata: ${JSON.stringify(r)}\n\n`);
      const push = (): void => { res.write(`event: phleet\ndata: ${JSON.stringify(view.doc())}\n\n`); };
      push();
      const timer = setInterval(push, 2000);
      clients.add(res);
      const end = (): void => { clearInterval(timer); clients.delete(res); };
      req.on('close', end);
      res.on('error', end);
      return;
    }
    send(res, 404, 'text/plain', 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => { server.removeListener('error', reject); resolve(); });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const hostInUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    server,
    url: `http://${hostInUrl}:${port}/login?code=${token}`,
    close: async () => {
      stopped = true;
      for (const t of timers.values()) clearTimeout(t);
      for (const s of streams.values()) s.close();
      for (const c of clients) c.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
