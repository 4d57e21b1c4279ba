// The ship's one log stream: every record (app output, build output, health
// results, agent events) goes into a bounded ring per service, a ship-wide
// ring, the JSON-lines sink and every live reader. Nothing here ever waits
// for a reader: a reader or sink that falls behind loses lines, and gets one
// gap record saying how many.
import { createWriteStream, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { gapRecord, matches, recordWeight, Ring, shedHeaviest, type LogFilter, type LogRecord } from './ring.js';

/** Bytes a reader or the sink may have queued before lines are dropped. */
export const QUEUE_LIMIT_BYTES = 8 * 1024 * 1024;
/** A file sink is renamed to FILE.1 (replacing the older one) when it would pass this. */
export const SINK_FILE_CAP_BYTES = 50 * 1024 * 1024;

export interface Reader {
  filter: LogFilter;
  /** Queue one record for this reader; returns false when it is not accepted (caller counts). */
  write(r: LogRecord): boolean;
}

export class LogSink {
  private out: Writable | null = null;
  private dropped = 0;
  private reconnectAt = 0;

  private fileBytes = 0;

  constructor(
    readonly spec: string,
    private readonly onProblem: (msg: string) => void = () => undefined,
    private readonly fileCapBytes = SINK_FILE_CAP_BYTES,
  ) {
    if (!/^(stdout|none|file:\/.+|unix:\/.+)$/.test(spec)) {
      throw new Error(`STARPHLEET_LOG_SINK must be stdout, none, file:/PATH or unix:/PATH, got '${spec}'`);
    }
  }

  private open(): Writable | null {
    if (this.out) return this.out;
    if (this.spec === 'none') return null;
    if (this.spec === 'stdout') {
      // Asynchronous writes on fd 1: a slow stdout reader never stalls the agent.
      this.out = createWriteStream('', { fd: 1, autoClose: false });
    } else if (this.spec.startsWith('file:')) {
      const file = this.spec.slice('file:'.length);
      mkdirSync(dirname(file), { recursive: true });
      this.fileBytes = existsSync(file) ? statSync(file).size : 0;
      this.out = createWriteStream(file, { flags: 'a', mode: 0o600 });
    } else {
      if (Date.now() < this.reconnectAt) return null;
      const path = this.spec.slice('unix:'.length);
      const sock: Socket = connect(path);
      sock.on('error', (err) => {
        this.onProblem(`log sink ${path}: ${err.message}; reconnecting in 5 s`);
        this.reconnectAt = Date.now() + 5000;
        if (this.out === sock) this.out = null;
        sock.destroy();
      });
      sock.on('close', () => { if (this.out === sock) this.out = null; });
      this.out = sock;
    }
    this.out.on('error', () => undefined);
    return this.out;
  }

  private pending: string[] = [];
  private pendingBytes = 0;
  private writing = false;

  /** Queued, not written here: one write at a time carries everything queued since the last. */
  write(r: LogRecord): void {
    if (this.spec === 'none') return;
    if (this.pendingBytes > QUEUE_LIMIT_BYTES) {
      this.dropped += r.gap ?? 1; // a dropped gap record carries its count on
      return;
    }
    if (this.dropped > 0) {
      this.queue(JSON.stringify(gapRecord(r.ship, this.dropped, `the log sink ${this.spec}`)) + '\n');
      this.dropped = 0;
    }
    this.queue(JSON.stringify(r) + '\n');
  }

  private queue(line: string): void {
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (!this.writing) {
      this.writing = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    const out = this.open();
    if (this.pending.length === 0 || !out) {
      if (!out) {
        // The socket is not there: what is queued is lost, and counted.
        this.dropped += this.pending.length;
        this.pending = [];
        this.pendingBytes = 0;
      }
      this.writing = false;
      return;
    }
    const text = this.pending.join('');
    const lines = this.pending.length;
    this.pending = [];
    this.pendingBytes = 0;
    const target = this.rotateIfFull(out, Buffer.byteLength(text));
    target.write(text, (err) => {
      if (err) {
        this.dropped += lines; // reported with the next line that gets through
        if (this.out === target) this.out = null;
      }
      this.flush();
    });
  }

  /**
   * A file sink about to pass its cap: FILE becomes FILE.1 and a new FILE is
   * started (writes are one at a time, so nothing is in flight on the old one).
   */
  private rotateIfFull(out: Writable, bytes: number): Writable {
    if (!this.spec.startsWith('file:')) return out;
    if (this.fileBytes > 0 && this.fileBytes + bytes > this.fileCapBytes) {
      const file = this.spec.slice('file:'.length);
      try {
        renameSync(file, `${file}.1`);
      } catch (err) {
        this.onProblem(`log sink ${file}: cannot rotate: ${(err as Error).message}`);
      }
      out.end();
      this.out = null;
      const next = this.open();
      if (next) out = next;
    }
    this.fileBytes += bytes;
    return out;
  }
}

export interface LogHubOptions {
  ship?: string;
  ringLines?: number;       // per service; STARPHLEET_LOG_LINES, default 10 000
  shipRingLines?: number;   // ship-wide; default the per-service size
  ringBytes?: number;       // per service; STARPHLEET_LOG_RING_BYTES, default 512 KiB
  shipRingBytes?: number;   // ship-wide; default 4 MiB
  servicesRingBytes?: number; // every service's ring together; STARPHLEET_LOG_RINGS_BYTES, default 16 MiB
  sink?: LogSink | null;
}

export const DEFAULT_RING_BYTES = 512 * 1024;
export const DEFAULT_SHIP_RING_BYTES = 4 * 1024 * 1024;
export const DEFAULT_SERVICES_RING_BYTES = 16 * 1024 * 1024;

export class LogHub {
  readonly ship: string;
  readonly ringLines: number;
  private readonly ringBudget: { maxBytes: number; weigh: (r: LogRecord) => number };
  private readonly rings = new Map<string, Ring<LogRecord>>();
  private readonly all: Ring<LogRecord>;
  private readonly servicesBudget: number;
  private servicesWeight = 0; // an upper estimate between checks: every push adds, shedding recounts
  private readonly readers = new Set<Reader>();
  readonly sink: LogSink | null;
  /** Records ever emitted (for benches and tests). */
  emitted = 0;

  constructor(opts: LogHubOptions = {}) {
    this.ship = opts.ship ?? hostname();
    this.ringLines = opts.ringLines ?? 10_000;
    this.ringBudget = { maxBytes: opts.ringBytes ?? DEFAULT_RING_BYTES, weigh: recordWeight };
    this.all = new Ring<LogRecord>(opts.shipRingLines ?? this.ringLines, { maxBytes: opts.shipRingBytes ?? DEFAULT_SHIP_RING_BYTES, weigh: recordWeight });
    this.servicesBudget = opts.servicesRingBytes ?? DEFAULT_SERVICES_RING_BYTES;
    this.sink = opts.sink ?? null;
  }

  /** Into the rings, the readers and (unless sink: false, e.g. a backfill) the sink. */
  emit(r: LogRecord, opts: { sink?: boolean } = {}): void {
    this.emitted += 1;
    const key = r.service ?? '';
    let ring = this.rings.get(key);
    if (!ring) {
      ring = new Ring<LogRecord>(this.ringLines, this.ringBudget);
      this.rings.set(key, ring);
    }
    ring.push(r);
    // Rings shed on their own too, so the sum is recounted only once the
    // estimate passes the budget: cheap for the many lines below it.
    this.servicesWeight += recordWeight(r);
    if (this.servicesWeight > this.servicesBudget) {
      shedHeaviest(this.rings.values(), this.servicesBudget);
      this.servicesWeight = this.ringBytes().services;
    }
    this.all.push(r);
    if (opts.sink !== false) this.sink?.write(r);
    for (const reader of this.readers) {
      if (matches(r, reader.filter)) reader.write(r);
    }
  }

  /** The last `lines` records matching the filter, oldest first. */
  tail(filter: LogFilter, lines: number): LogRecord[] {
    const source = filter.service ? this.rings.get(filter.service)?.toArray() ?? [] : this.all.toArray();
    const picked: LogRecord[] = [];
    for (let i = source.length - 1; i >= 0 && picked.length < lines; i--) {
      if (matches(source[i], filter)) picked.push(source[i]);
    }
    return picked.reverse();
  }

  /** Lines kept per ring (for tests: the bound holds under a flood). */
  ringSizes(): { ship: number; services: Record<string, number> } {
    const services: Record<string, number> = {};
    for (const [k, ring] of this.rings) services[k || '-'] = ring.size;
    return { ship: this.all.size, services };
  }

  /** What the rings weigh (recordWeight), ship-wide and all service rings together. */
  ringBytes(): { ship: number; services: number } {
    let services = 0;
    for (const ring of this.rings.values()) services += ring.weight;
    return { ship: this.all.weight, services };
  }

  forget(service: string): void {
    this.rings.delete(service);
  }

  subscribe(reader: Reader): () => void {
    this.readers.add(reader);
    return () => { this.readers.delete(reader); };
  }
}

/**
 * A reader writing JSON lines (or whatever `encode` makes) to a stream: when
 * the stream has more than QUEUE_LIMIT_BYTES queued, records are dropped and
 * counted; the first record after it caught up is preceded by a gap record.
 */
export function streamReader(
  ship: string, out: Writable, filter: LogFilter, encode: (r: LogRecord) => string, limit = QUEUE_LIMIT_BYTES,
): Reader {
  let dropped = 0;
  let waiting = false;
  const reportGap = (): void => {
    if (dropped > 0 && !out.destroyed && !out.writableEnded) {
      out.write(encode(gapRecord(ship, dropped, 'this reader')));
      dropped = 0;
    }
  };
  return {
    filter,
    write(r: LogRecord): boolean {
      if (out.destroyed || out.writableEnded) return false;
      if (out.writableLength > limit) {
        dropped += r.gap ?? 1; // a dropped gap record carries its count on
        // The gap is reported as soon as the reader caught up, even if no other line comes.
        if (!waiting) {
          waiting = true;
          out.once('drain', () => { waiting = false; reportGap(); });
        }
        return false;
      }
      reportGap();
      out.write(encode(r));
      return true;
    },
  };
}
