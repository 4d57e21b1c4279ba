// Reading a ship's log stream for `starphleet logs`: the request its flags
// make, and the reader behind ShipTransport (request for a tail, stream for
// --follow), one ship or several merged in time order.
import { UsageError, type Flags } from '../core/config.js';
import { compileGrep, formatRecord, parseDuration, type LogRecord } from '../logs/ring.js';
import { acrossShips, type ShipHandle } from '../phleet/select.js';
import type { ControlRequest, ShipStream, ShipTransport } from '../phleet/transport.js';
import { Failure } from './errors.js';
import { watchStdoutReader } from './stdout-reader.js';

/** A service path as typed, URL style: `/api/` (or `/api//`) names the service at `/api`. */
export function servicePathArg(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') || '/' : path;
}

export function logsRequestFrom(flags: Flags, positionals: string[]): ControlRequest {
  if (positionals.length > 1) throw new UsageError(`logs: one SERVICE_PATH at most, got '${positionals[1]}' too`);
  const service = positionals[0] === undefined ? undefined : servicePathArg(positionals[0]);
  if (service !== undefined && !service.startsWith('/')) throw new UsageError(`logs: SERVICE_PATH must start with "/", got '${service}'`);
  const req: ControlRequest = { cmd: 'logs' };
  if (service) req.service = service;
  if (typeof flags.grep === 'string') {
    const re = compileGrep(flags.grep);
    if (typeof re === 'string') throw new UsageError(`logs: --grep is not a valid regular expression: ${re}`);
    req.grep = flags.grep;
  }
  if (typeof flags.lines === 'string') {
    if (!/^\d+$/.test(flags.lines)) throw new UsageError(`logs: --lines must be a whole number, got '${flags.lines}'`);
    req.lines = Number(flags.lines);
  } else if (flags.follow) {
    req.lines = 10;
  }
  if (typeof flags.since === 'string') {
    if (parseDuration(flags.since) === null) throw new UsageError(`logs: --since must be a duration like 90s, 5m, 2h or 1d, got '${flags.since}'`);
    req.since = flags.since;
  }
  return req;
}

/**
 * A tail in time order: a container's lines reach the agent a poll after
 * their supervisor stamped them, so the ring holds them after agent lines
 * stamped later. Stable: lines with the same time keep their order.
 */
export function inTimeOrder(records: LogRecord[]): LogRecord[] {
  return records.map((r, i) => ({ r, i })).sort((a, b) => a.r.time.localeCompare(b.r.time) || a.i - b.i).map((x) => x.r);
}

export async function logs(transport: ShipTransport, flags: Flags, positionals: string[]): Promise<number> {
  const req = logsRequestFrom(flags, positionals);
  // Records that arrive together are written together (one write per batch).
  let pending: string[] = [];
  let stream: ShipStream | null = null;
  const print = (r: LogRecord): void => {
    pending.push((flags.json ? JSON.stringify(r) : formatRecord(r)) + '\n');
    if (pending.length === 1) {
      queueMicrotask(() => {
        const text = pending.join('');
        pending = [];
        // A slow stdout (a pager, a slow pipe) stops our reading; the agent
        // then drops lines for us and says how many, instead of us buffering.
        if (!process.stdout.write(text) && stream) {
          const s = stream;
          s.pause();
          process.stdout.once('drain', () => s.resume());
        }
      });
    }
  };
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  if (!flags.follow) {
    const res = await transport.request(req);
    if (!res.ok) throw new Failure(res.error ?? 'logs failed');
    for (const r of inTimeOrder(res.records as LogRecord[])) print(r);
    return 0;
  }
  let failure: string | null = null;
  const s = transport.stream(req, (msg) => {
    if (!msg.ok) {
      failure = msg.error ?? 'logs failed';
      s.close();
      return;
    }
    if (msg.record) print(msg.record as LogRecord);
  });
  stream = s;
  let stoppedHere = false;
  const stop = (): void => { stoppedHere = true; s.close(); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // `logs -f | grep -m1 X`: end with the reader, as on EPIPE, even when no line comes.
  const unwatch = watchStdoutReader(() => process.exit(0));
  await s.done;
  unwatch();
  if (failure) throw new Failure(failure);
  // The agent went away (stopped or restarted): a script must not take that for a clean end.
  if (!stoppedHere) throw new Failure('the ship agent ended the log stream (it stopped or restarted); nothing more is followed');
  return 0;
}

/**
 * logs across several ships: records labelled by ship and merged in time
 * order (--follow: a 200 ms window is sorted before it is printed). A ship
 * that cannot be read is reported on stderr; the exit status is then 1.
 */
export async function phleetLogs(ships: ShipHandle[], flags: Flags, positionals: string[], timeoutMs: number): Promise<number> {
  if (ships.length === 1) return logs(ships[0].transport, flags, positionals);
  const req = logsRequestFrom(flags, positionals);
  const line = (label: string, r: LogRecord): string =>
    (flags.json ? JSON.stringify({ ...r, ship: label }) : `${label} ${formatRecord(r)}`) + '\n';
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  let failed = false;
  const report = (label: string, why: string): void => {
    failed = true;
    process.stderr.write(`starphleet: ${label}: ${why}\n`);
  };
  if (!flags.follow) {
    const results = await acrossShips(ships, async (h) => {
      const res = await h.transport.request(req, timeoutMs);
      if (!res.ok) throw new Error(res.error ?? 'logs failed');
      return (res.records as LogRecord[]).map((r) => ({ label: h.label, r }));
    }, timeoutMs);
    const all = results.flatMap((x) => (x.ok && x.value ? x.value : []));
    for (const x of results) if (!x.ok) report(x.ship.label, x.error ?? 'no answer');
    all.sort((a, b) => a.r.time.localeCompare(b.r.time));
    process.stdout.write(all.map((x) => line(x.label, x.r)).join(''));
    return failed ? 1 : 0;
  }
  let window: Array<{ label: string; r: LogRecord }> = [];
  let streams: Array<{ h: ShipHandle; s: ShipStream }> = [];
  const flush = (): void => {
    if (window.length === 0) return;
    window.sort((a, b) => a.r.time.localeCompare(b.r.time));
    const text = window.map((x) => line(x.label, x.r)).join('');
    window = [];
    // A slow stdout pauses every ship's stream (their agents drop and count).
    if (!process.stdout.write(text)) {
      for (const x of streams) x.s.pause();
      process.stdout.once('drain', () => { for (const x of streams) x.s.resume(); });
    }
  };
  const timer = setInterval(flush, 200);
  streams = ships.map((h) => {
    const s = h.transport.stream(req, (msg) => {
      if (!msg.ok) {
        report(h.label, msg.error ?? 'logs failed');
        s.close();
        return;
      }
      if (msg.record) window.push({ label: h.label, r: msg.record as LogRecord });
    });
    return { h, s };
  });
  const stop = (): void => { for (const x of streams) x.s.close(); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const unwatch = watchStdoutReader(() => process.exit(0));
  await Promise.all(streams.map((x) => x.s.done.catch((err: Error) => report(x.h.label, err.message))));
  clearInterval(timer);
  unwatch();
  flush();
  return failed ? 1 : 0;
}
