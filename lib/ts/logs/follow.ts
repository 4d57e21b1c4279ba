// Follows the containers' capped log files (written by their supervisors,
// which outlive the agent) and feeds each new line into the log hub as an
// `app` record labelled with its service and container. Polling, not
// inotify: the files live on whatever the root is, and a 250 ms poll costs
// a stat per container. Rotation (NAME.log → NAME.log.1) is followed: the
// rest of the old file is read before the new one. Lines the agent could not
// read in time (a flood rotated the file twice) are counted from the
// supervisor's line numbers and reported in one gap record.
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import type { LogHub } from './hub.js';
import { gapRecord, LineSplitter, type LogRecord } from './ring.js';
import { linesLost, parseSupervisorLine } from '../container/supervisor-line.js';

export { parseSupervisorLine };

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
  process?: string;
  file: string;
  id: string | null; // which file is being read: see fileId
  offset: number;
  splitter: LineSplitter;
  backfill: boolean; // lines read now go to the rings only (already in the sink before)
  seq: number | null; // the last line's sequence number (supervisor-line.ts)
  quiet: string | null; // the file as last read to its end (see fileKey)
}

/**
 * The file's inode, size and modification time, or null when it is not
 * there. While it equals the key of the last read that reached the end, a
 * round costs this one stat (an idle ship with 100 containers: 400 a second).
 */
function fileKey(file: string): { key: string; size: number } | null {
  try {
    const st = statSync(file);
    return { key: `${st.ino}:${st.size}:${st.mtimeMs}`, size: st.size };
  } catch {
    return null;
  }
}

/** fn on the open file, or null when it cannot be opened. */
function withFile<T>(file: string, fn: (fd: number) => T): T | null {
  let fd: number;
  try { fd = openSync(file, 'r'); } catch { return null; }
  try {
    return fn(fd);
  } finally {
    closeSync(fd);
  }
}

const headBuffer = Buffer.alloc(64);

/**
 * Which file this is, and its size; null when empty. A log file starts on a
 * line boundary, so the sequence number of its first line names it (inode
 * numbers are reused as soon as a rotated file is deleted). Files written
 * before lines were numbered are named by inode.
 */
export function fileId(fd: number): { id: string; size: number } | null {
  const st = fstatSync(fd);
  if (st.size === 0) return null;
  const n = readSync(fd, headBuffer, 0, headBuffer.length, 0);
  const head = parseSupervisorLine(headBuffer.subarray(0, n).toString('latin1').split('\n')[0]);
  return { id: head.seq !== null ? `seq:${head.seq}` : `ino:${st.ino}`, size: st.size };
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
  follow(name: string, service: string, fromStart: boolean, process?: string): void {
    if (this.files.has(name)) return;
    const file = this.logFile(name);
    let id: string | null = null;
    let offset = 0;
    let backfill = false;
    if (!fromStart) {
      const now = withFile(file, (fd) => fileId(fd));
      if (now) {
        id = now.id;
        offset = Math.max(0, now.size - BACKFILL_BYTES);
        backfill = true;
      }
    }
    const f: Followed = { name, service, process, file, id, offset, splitter: new LineSplitter(FILE_LINE_MAX), backfill, seq: null, quiet: null };
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
    withFile(f.file, (fd) => {
      const n = readSync(fd, buf, 0, buf.length, f.offset);
      const nl = buf.subarray(0, n).indexOf(0x0a);
      f.offset += nl === -1 ? n : nl + 1;
    });
  }

  /** One round for one file; true when it has more to read. */
  private read(f: Followed): boolean {
    const before = fileKey(f.file);
    if (before === null) return false; // not there yet
    if (before.key === f.quiet) return false; // nothing written since it was read to the end
    const now = withFile(f.file, (fd) => fileId(fd));
    if (!now) { // empty: nothing to read
      f.quiet = before.size === 0 ? before.key : null;
      return false;
    }
    if (f.id !== null && now.id !== f.id) {
      // Rotated: finish the old file (now NAME.log.1), then start the new one.
      // Rotated twice or more: the old file is gone and NAME.log.1 is a later
      // one, read whole; the lines in between are counted by their numbers.
      const older = `${f.file}.1`;
      const olderNow = withFile(older, (fd) => fileId(fd));
      if (olderNow && olderNow.id !== f.id) {
        f.splitter.flush(); // the unread rest of a lost file: at most a partial line
        f.offset = 0;
      }
      if (olderNow) this.drain(older, f, olderNow.id);
      for (const rest of f.splitter.flush()) this.emit(f, rest.toString('utf8'));
      f.offset = 0;
    } else if (now.size < f.offset) {
      f.offset = 0; // truncated
    }
    f.id = now.id;
    const more = this.drain(f.file, f, now.id, f.backfill ? 8 : 1);
    // Read exactly to the size seen before reading: the key stands for that.
    // (It grew meanwhile: no key, the next round reads the rest.)
    f.quiet = !more && f.offset === before.size ? before.key : null;
    return more;
  }

  /** Read up to `rounds` chunks of the file if it is still the one named `id`; true when it has more. */
  private drain(file: string, f: Followed, id: string, rounds = 64): boolean {
    return withFile(file, (fd) => {
      if (fileId(fd)?.id !== id) return false; // rotated since it was looked at: the next round sees it
      const buf = readBuffer;
      for (let i = 0; i < rounds; i++) {
        const n = readSync(fd, buf, 0, buf.length, f.offset);
        if (n <= 0) return false;
        f.offset += n;
        for (const line of f.splitter.push(buf.subarray(0, n))) this.emit(f, line.toString('utf8'));
        if (n < buf.length) return false;
      }
      return true;
    }) ?? false;
  }

  private emit(f: Followed, raw: string): void {
    const p = parseSupervisorLine(raw);
    const lost = linesLost(f.seq, p.seq);
    if (p.seq !== null) f.seq = p.seq;
    if (lost > 0) {
      this.hub.emit(gapRecord(this.hub.ship, lost, `the agent reading ${f.name}'s log`, new Date(), f.service, f.name),
        { sink: !f.backfill });
    }
    const r: LogRecord = {
      time: p.time ?? new Date().toISOString(),
      ship: this.hub.ship,
      service: f.service,
      container: f.name,
      source: p.stream ? 'app' : 'agent',
      line: p.text,
    };
    if (f.process) r.process = f.process;
    if (p.stream) r.stream = p.stream;
    this.hub.emit(r, { sink: !f.backfill });
  }
}
