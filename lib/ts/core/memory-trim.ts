// Giving back the memory the agent touched only while it was busy (a cold
// start, a round of builds and rollovers): a full collection, then the kernel
// is told that the pages of the agent's own binary may go (MADV_PAGEOUT, as
// Android's app compaction does). They are clean file pages: those still in
// use come back on their next touch, from the page cache or the binary; the
// rest stop counting in the agent's RSS. With the JIT off the agent has no
// FFI to call madvise(2) from, so a small child does it for its parent
// (lib/c/pageout.c: process_madvise(2)).
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

export const QUIET_MS = 30_000;          // no version in flight for this long (STARPHLEET_TRIM_QUIET_SECONDS)
export const PERIODIC_MS = 10 * 60_000;  // and at least this often when idle

/** When to trim (pure): after a busy spell has been quiet for QUIET_MS, and every PERIODIC_MS. */
export class TrimSchedule {
  private lastBusyAt = 0;
  private lastTrimAt = 0;
  private busySinceTrim = true; // a start is busy

  constructor(private readonly quietMs = QUIET_MS, private readonly periodicMs = PERIODIC_MS) {}

  /** Called on every pulse with whether anything is building, starting or being checked; true: trim now. */
  due(inFlight: boolean, now: number): boolean {
    if (inFlight) {
      this.lastBusyAt = now;
      this.busySinceTrim = true;
      return false;
    }
    const quiet = now - this.lastBusyAt >= this.quietMs;
    if (!quiet) return false;
    if (!this.busySinceTrim && now - this.lastTrimAt < this.periodicMs) return false;
    this.lastTrimAt = now;
    this.busySinceTrim = false;
    return true;
  }
}

/** What one trim did: when, the bytes of the binary's mappings advised, the file-backed RSS around it. */
export interface TrimReport {
  at: number;
  advisedBytes: number;
  rssFileBeforeBytes: number;
  rssFileAfterBytes: number;
}

/** The file-backed RSS in a /proc/PID/status text, in bytes (NaN when it says none). */
export function rssFileBytes(status: string): number {
  const kib = /^RssFile:\s+(\d+) kB$/m.exec(status);
  return kib ? Number(kib[1]) * 1024 : NaN;
}

const ownRssFile = (): number => {
  try { return rssFileBytes(readFileSync('/proc/self/status', 'utf8')); } catch { return NaN; }
};

/** A full collection, then the binary's pages handed back by PAGEOUT (the helper); advisedBytes 0 when it could not. */
export function trimMemory(pageout: string): TrimReport {
  (globalThis as { Bun?: { gc(full: boolean): void } }).Bun?.gc(true);
  const before = ownRssFile();
  // Synchronous on purpose: the helper takes milliseconds, and nothing else
  // of the agent runs (and touches pages again) between it and the reading after.
  const r = spawnSync(pageout, [String(process.pid)], { encoding: 'utf8', timeout: 5000, maxBuffer: 4096, stdio: ['ignore', 'pipe', 'ignore'] });
  const bytes = Number((r.stdout ?? '').trim());
  return {
    at: Date.now(),
    advisedBytes: r.status === 0 && Number.isFinite(bytes) ? bytes : 0,
    rssFileBeforeBytes: before,
    rssFileAfterBytes: ownRssFile(),
  };
}
