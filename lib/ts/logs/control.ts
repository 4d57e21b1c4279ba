// The agent's side of `starphleet logs` (and the dashboard's log tail): a
// request names a service (or none: the whole ship), a regex, a number of
// lines and a start time; a streaming request then stays open for new lines.
import type { Socket } from 'node:net';
import { streamReader, type LogHub } from './hub.js';
import { compileGrep, parseDuration, type LogFilter, type LogRecord } from './ring.js';
import type { ControlRequest, ControlResponse } from '../phleet/transport.js';

export const DEFAULT_TAIL_LINES = 100;

/** The filter and line count a request asks for, or the reason it is bad. */
export function logQuery(req: ControlRequest, knownService: (path: string) => boolean): { filter: LogFilter; lines: number } | { error: string } {
  const filter: LogFilter = {};
  if (req.service !== undefined && req.service !== null && req.service !== '') {
    if (typeof req.service !== 'string') return { error: 'service must be a path' };
    if (!knownService(req.service)) return { error: `no service at ${req.service} on this ship` };
    filter.service = req.service;
  }
  if (typeof req.grep === 'string' && req.grep !== '') {
    const re = compileGrep(req.grep);
    if (typeof re === 'string') return { error: `bad --grep regex: ${re}` };
    filter.grep = re;
  }
  if (typeof req.since === 'string' && req.since !== '') {
    const ms = parseDuration(req.since);
    if (ms === null) return { error: `bad --since '${req.since}' (try 90s, 5m, 2h, 1d)` };
    filter.sinceMs = Date.now() - ms;
  }
  const lines = req.lines === undefined ? DEFAULT_TAIL_LINES : Number(req.lines);
  if (!Number.isInteger(lines) || lines < 0) return { error: 'lines must be a whole number' };
  return { filter, lines };
}

export function logsRequest(hub: LogHub, knownService: (path: string) => boolean, req: ControlRequest): ControlResponse {
  const q = logQuery(req, knownService);
  if ('error' in q) return { ok: false, error: q.error };
  return { ok: true, records: hub.tail(q.filter, q.lines) };
}

/** {ok} first, then {record} lines: the tail asked for, then every new match until the client goes. */
export function logsStream(hub: LogHub, knownService: (path: string) => boolean, req: ControlRequest, sock: Socket): void {
  const q = logQuery(req, knownService);
  if ('error' in q) {
    sock.end(JSON.stringify({ ok: false, error: q.error }) + '\n');
    return;
  }
  sock.write(JSON.stringify({ ok: true }) + '\n');
  const encode = (r: LogRecord): string => JSON.stringify({ ok: true, record: r }) + '\n';
  for (const r of hub.tail(q.filter, q.lines)) sock.write(encode(r));
  const unsubscribe = hub.subscribe(streamReader(hub.ship, sock, q.filter, encode));
  sock.on('close', unsubscribe);
  sock.on('error', () => { unsubscribe(); sock.destroy(); });
}
