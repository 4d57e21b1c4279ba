// Pure pieces of the log stream: the record every line becomes, a bounded
// ring, line splitting (16 KiB at most per line) with binary escaped, the
// filter `logs` and the dashboard apply, and the text and JSON forms.
// No I/O here; log-fanout.ts and log-follow.ts do that.

import type { LogSource } from '../core/log.js';

export type { LogSource };

/** One line of the ship's log stream (the JSON sink's schema, see docs/logs.md). */
export interface LogRecord {
  time: string;              // ISO 8601, UTC
  ship: string;              // the ship's name (host name unless STARPHLEET_SHIP_NAME)
  service: string | null;    // service path, null for ship-wide agent events
  container: string | null;  // the container (version) the line came from, if any
  process?: string;          // its process instance ("web.1", "worker.2", "release")
  source: LogSource;
  stream?: 'stdout' | 'stderr';
  line: string;
  gap?: number;              // set on a gap record: this many lines were dropped here
}

/** Lines longer than this many bytes are split into several records. */
export const MAX_LINE_BYTES = 16 * 1024;

/**
 * A bounded ring: push is O(1), the oldest items fall out when it holds
 * `capacity` items or, with a byte budget, when their weight passes it
 * (the newest item always stays). Slots are made as items come, so an empty
 * ring costs nothing.
 */
export class Ring<T> {
  private items: (T | undefined)[] = [];
  private weights: number[] = [];
  private start = 0;
  private count = 0;
  private bytes = 0;

  constructor(readonly capacity: number, private readonly budget?: { maxBytes: number; weigh: (item: T) => number }) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`ring size must be a positive whole number, got ${capacity}`);
    if (budget && !(budget.maxBytes > 0)) throw new Error(`ring byte budget must be positive, got ${budget.maxBytes}`);
  }

  get size(): number {
    return this.count;
  }

  /** The weight of what it holds (0 without a byte budget). */
  get weight(): number {
    return this.bytes;
  }

  push(item: T): void {
    if (this.count === this.capacity) this.dropOldest();
    const w = this.budget ? this.budget.weigh(item) : 0;
    const at = (this.start + this.count) % this.capacity;
    this.items[at] = item;
    this.weights[at] = w;
    this.count += 1;
    this.bytes += w;
    if (this.budget) while (this.count > 1 && this.bytes > this.budget.maxBytes) this.dropOldest();
  }

  /** Oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.items[(this.start + i) % this.capacity] as T);
    return out;
  }

  /** Drop the oldest item (never the last one); returns its weight, 0 when nothing was dropped. */
  shed(): number {
    if (this.count <= 1) return 0;
    const w = this.weights[this.start] ?? 0;
    this.dropOldest();
    return w;
  }

  private dropOldest(): void {
    this.items[this.start] = undefined;
    this.bytes -= this.weights[this.start] ?? 0;
    this.start = (this.start + 1) % this.capacity;
    this.count -= 1;
  }
}

/**
 * One byte budget over many rings (every service's): when they weigh more
 * together, the heaviest ring sheds its oldest items until they are an
 * eighth under the budget, so a flood from one service shortens its own
 * history first, and the search for the heaviest runs once per eighth of the
 * budget written, not once per line.
 */
export function shedHeaviest<T>(rings: Iterable<Ring<T>>, maxBytes: number): number {
  const list = [...rings];
  let total = 0;
  for (const r of list) total += r.weight;
  if (total <= maxBytes) return 0;
  const target = maxBytes - Math.floor(maxBytes / 8);
  let shed = 0;
  while (total > target) {
    let heaviest: Ring<T> | null = null;
    for (const r of list) if (r.size > 1 && (heaviest === null || r.weight > heaviest.weight)) heaviest = r;
    if (heaviest === null) break; // one item each: nothing more to give
    // The heaviest gives until it is no heavier than the next one (or the target is met).
    let next = 0;
    for (const r of list) if (r !== heaviest && r.weight > next) next = r.weight;
    do {
      const w = heaviest.shed();
      if (w === 0 && heaviest.size <= 1) break;
      total -= w;
      shed += 1;
    } while (total > target && heaviest.weight >= next && heaviest.size > 1);
  }
  return shed;
}

/** What a record weighs in a ring: its line (JS strings hold up to 2 bytes a character) and about 96 bytes of fields. */
export function recordWeight(r: LogRecord): number {
  return r.line.length * 2 + 96;
}

/**
 * Bytes → one printable line: valid UTF-8 is kept, tab is kept, other
 * control characters and bytes that are not UTF-8 become \xNN. The
 * supervisor (lib/c/supervise.c) writes container lines the same way.
 */
export function escapeLine(buf: Buffer): string {
  const text = buf.toString('utf8');
  // Fast path: round-trips exactly and holds no control characters.
  // eslint-disable-next-line no-control-regex
  if (!/[\x00-\x08\x0a-\x1f\x7f\ufffd]/.test(text)) return text;
  let out = '';
  let i = 0;
  while (i < buf.length) {
    const b = buf[i];
    const len = b < 0x80 ? 1 : (b & 0xe0) === 0xc0 ? 2 : (b & 0xf0) === 0xe0 ? 3 : (b & 0xf8) === 0xf0 ? 4 : 0;
    if (len === 1) {
      out += (b < 0x20 && b !== 0x09) || b === 0x7f ? `\\x${b.toString(16).padStart(2, '0')}` : String.fromCharCode(b);
      i += 1;
      continue;
    }
    if (len > 1 && i + len <= buf.length) {
      const chunk = buf.subarray(i, i + len);
      const ch = chunk.toString('utf8');
      let continuation = true;
      for (let k = 1; k < len; k++) if ((chunk[k] & 0xc0) !== 0x80) continuation = false;
      if (continuation && !ch.includes('\ufffd') && Buffer.from(ch, 'utf8').equals(chunk)) {
        out += ch;
        i += len;
        continue;
      }
    }
    out += `\\x${b.toString(16).padStart(2, '0')}`;
    i += 1;
  }
  return out;
}

/**
 * Splits a byte stream into lines: push chunks, get whole lines back (without
 * the newline, "\r\n" trimmed to the line). A line longer than maxBytes comes
 * back in maxBytes pieces; nothing is dropped.
 */
export class LineSplitter {
  private partial: Buffer = Buffer.alloc(0);

  constructor(private readonly maxBytes = MAX_LINE_BYTES) {}

  push(chunk: Buffer): Buffer[] {
    const lines: Buffer[] = [];
    let data = this.partial.length ? Buffer.concat([this.partial, chunk]) : chunk;
    for (;;) {
      const nl = data.indexOf(0x0a);
      if (nl === -1) break;
      let line = data.subarray(0, nl);
      if (line.length && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
      this.pieces(line, lines);
      data = data.subarray(nl + 1);
    }
    while (data.length > this.maxBytes) {
      lines.push(Buffer.from(data.subarray(0, this.maxBytes)));
      data = data.subarray(this.maxBytes);
    }
    this.partial = Buffer.from(data);
    return lines;
  }

  /** What is left at the end of the stream (a last line without a newline). */
  flush(): Buffer[] {
    const rest = this.partial;
    this.partial = Buffer.alloc(0);
    return rest.length ? [rest] : [];
  }

  private pieces(line: Buffer, out: Buffer[]): void {
    if (line.length <= this.maxBytes) { out.push(Buffer.from(line)); return; }
    for (let at = 0; at < line.length; at += this.maxBytes) out.push(Buffer.from(line.subarray(at, at + this.maxBytes)));
  }
}

/** What a reader asks for; every field optional. */
export interface LogFilter {
  service?: string | null; // exact service path
  grep?: RegExp;
  sinceMs?: number;        // epoch ms: only records at or after this
}

export function matches(r: LogRecord, f: LogFilter): boolean {
  if (f.service && r.service !== f.service) return false;
  if (f.sinceMs !== undefined && Date.parse(r.time) < f.sinceMs) return false;
  if (f.grep && r.gap === undefined) {
    f.grep.lastIndex = 0;
    if (!f.grep.test(r.line)) return false;
  }
  return true;
}

/** "90s", "5m", "2h", "1d" (or a bare number of seconds) → milliseconds; null if unreadable. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) return null;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

/** A regex from user input, or the reason it is not one. */
export function compileGrep(text: string): RegExp | string {
  try {
    return new RegExp(text);
  } catch (err) {
    return (err as Error).message;
  }
}

/** The text form: "TIME SERVICE CONTAINER SOURCE[/stream]: LINE". */
export function formatRecord(r: LogRecord): string {
  const src = r.stream === 'stderr' ? `${r.source}/stderr` : r.source;
  return `${r.time} ${r.service ?? '-'} ${r.container ?? '-'}${r.process ? ` ${r.process}` : ''} ${src}: ${r.line}`;
}

export function gapRecord(
  ship: string, dropped: number, where: string, at = new Date(), service: string | null = null, container: string | null = null,
): LogRecord {
  return {
    time: at.toISOString(), ship, service, container, source: 'agent',
    line: `[gap] ${dropped} log line${dropped === 1 ? '' : 's'} dropped: ${where} fell behind`, gap: dropped,
  };
}
