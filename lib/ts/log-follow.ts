// Follows the containers' capped log files (written by their supervisors,
// which outlive the agent) and feeds each new line into the log hub as an
// `app` record labelled with its service and container. Polling, not
// inotify: the files live on whatever the root is, and a 250 ms poll costs
// a stat per container. Rotation (NAME.log → NAME.log.1) is followed: the
// rest of the old file is read before the new one.
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import type { LogHub } from './log-fanout.js';
import { LineSplitter, type LogRecord } from './log-ring.js';

/**
 * Most bytes read from one file per round. When a file has more, the next
 * round follows at once (setImmediate), so between rounds the event loop
 * flushes what readers were sent instead of queueing a whole backlog.
 */
const READ_CHUNK = 128 * 1024;
/** On first sight of an existing file (agent restart), this much of its end is read back into the rings. */
const BACKFILL_BYTES = 256 * 1024;
/** A supervisor line: timestamp, stream and at most 16 KiB escaped (up to 4 bytes per byte). */
const FILE_LINE_MAX = 4 * 16 * 1024 + 64;

/** One read buffer for every file (reads are synchronous, one at a time). */
const readBuffer = Buffer.alloc(READ_CHUNK);

interface Followed {
  name: string;
  service: string;
  file: string;
  ino: number | null;
  offset: number;
  splitter: LineSplitter;
  backfill: boolean; // lines read now go to the rings only (already in the sink before)
}

/** "2026-11-26T12:00:00.000Z stdout text" → record fields; anything else is kept whole. */
export function parseSupervisorLine(line: string): { time: string | null; stream: 'stdout' | 'stderr' | null; text: string } {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) (stdout|stderr|supervisor) ?(.*)$/s.exec(line);
  if (!m) return { time: null, stream: null, text: line };
  return { time: m[1], stream: m[2] === 'supervisor' ? null : (m[2] as 'stdout' | 'stderr'), text: m[2] === 'supervisor' ? `supervisor: ${m[3]}` : m[3] };
}

export class LogFollower {
  private readonly files = new Map<string, Followed>();
  private timer: NodeJS.Timeout | null = null;
  private again = false;

  constructor(private readonly hub: LogHub, private readonly logFile: (name: string) => string, private readonly intervalMs = 250) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.poll(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Follow a container's log. fromStart: a container started just now (read all of it). */
  follow(name: string, service: string, fromStart: boolean): void {
    if (this.files.has(name)) return;
    const file = this.logFile(name);
    let ino: number | null = null;
    let offset = 0;
    let backfill = false;
    if (!fromStart) {
      try {
        const st = statSync(file);
        ino = st.ino;
        offset = Math.max(0, st.size - BACKFILL_BYTES);
        backfill = true;
      } catch { /* not written yet */ }
    }
    const f: Followed = { name, service, file, ino, offset, splitter: new LineSplitter(FILE_LINE_MAX), backfill };
    this.files.set(name, f);
    if (backfill && offset > 0) this.skipPartialLine(f);
    this.read(f);
    f.backfill = false;
  }

  /** Stop following once what is on disk has been read. */
  unfollow(name: string): void {
    const f = this.files.get(name);
    if (!f) return;
    this.read(f);
    for (const rest of f.splitter.flush()) this.emit(f, rest.toString('utf8'));
    this.files.delete(name);
  }

  following(): string[] {
    return [...this.files.keys()];
  }

  poll(): void {
    let more = false;
    for (const f of this.files.values()) if (this.read(f)) more = true;
    if (more && !this.again && this.timer) {
      this.again = true;
      setImmediate(() => { this.again = false; this.poll(); });
    }
  }

  private skipPartialLine(f: Followed): void {
    const buf = Buffer.alloc(Math.min(READ_CHUNK, 64 * 1024));
    let fd: number;
    try { fd = openSync(f.file, 'r'); } catch { return; }
    try {
      const n = readSync(fd, buf, 0, buf.length, f.offset);
      const nl = buf.subarray(0, n).indexOf(0x0a);
      f.offset += nl === -1 ? n : nl + 1;
    } finally {
      closeSync(fd);
    }
  }

  /** One round for one file; true when it has more to read. */
  private read(f: Followed): boolean {
    let st;
    try { st = statSync(f.file); } catch { return false; }
    if (f.ino !== null && st.ino !== f.ino) {
      // Rotated: finish the old file (now NAME.log.1), then start the new one.
      this.drain(`${f.file}.1`, f, f.ino);
      for (const rest of f.splitter.flush()) this.emit(f, rest.toString('utf8'));
      f.offset = 0;
    } else if (st.size < f.offset) {
      f.offset = 0; // truncated
    }
    f.ino = st.ino;
    return this.drain(f.file, f, st.ino, f.backfill ? 8 : 1);
  }

  /** Read up to `rounds` chunks; true when the file has more. */
  private drain(file: string, f: Followed, ino: number, rounds = 64): boolean {
    let fd: number;
    try { fd = openSync(file, 'r'); } catch { return false; }
    try {
      if (fstatSync(fd).ino !== ino) return false;
      const buf = readBuffer;
      for (let i = 0; i < rounds; i++) {
        const n = readSync(fd, buf, 0, buf.length, f.offset);
        if (n <= 0) return false;
        f.offset += n;
        for (const line of f.splitter.push(buf.subarray(0, n))) this.emit(f, line.toString('utf8'));
        if (n < buf.length) return false;
      }
      return true;
    } finally {
      closeSync(fd);
    }
  }

  private emit(f: Followed, raw: string): void {
    const p = parseSupervisorLine(raw);
    const r: LogRecord = {
      time: p.time ?? new Date().toISOString(),
      ship: this.hub.ship,
      service: f.service,
      container: f.name,
      source: p.stream ? 'app' : 'agent',
      line: p.text,
    };
    if (p.stream) r.stream = p.stream;
    this.hub.emit(r, { sink: !f.backfill });
  }
}
