// Giving back the memory the agent touched only while it was busy (a cold
// start, a round of builds and rollovers): a full collection, then the kernel
// is told that the pages of the agent's own binary may go (madvise
// MADV_PAGEOUT, as Android's app compaction does). They are clean file pages:
// those still in use come back on their next touch, from the page cache or
// the binary; the rest stop counting in the agent's RSS.
import { readFileSync } from 'node:fs';

export const QUIET_MS = 30_000;          // no version in flight for this long
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

/** The address ranges (start, length) of FILE's mappings in a /proc/PID/maps text. */
export function mappingsOf(maps: string, file: string): Array<[bigint, bigint]> {
  const out: Array<[bigint, bigint]> = [];
  for (const line of maps.split('\n')) {
    const fields = line.split(/\s+/);
    if (fields.length < 6 || fields.slice(5).join(' ') !== file) continue;
    const [from, to] = fields[0].split('-').map((x) => BigInt(`0x${x}`));
    out.push([from, to - from]);
  }
  return out;
}

type Madvise = (addr: bigint, len: bigint, advice: number) => number;
const MADV_PAGEOUT = 21;
let madvise: Madvise | null | undefined;

async function loadMadvise(): Promise<Madvise | null> {
  if (madvise !== undefined) return madvise;
  madvise = null;
  if (!(globalThis as { Bun?: unknown }).Bun || process.platform !== 'linux') return null;
  try {
    const ffi = await import('bun:ffi' as string) as {
      dlopen(lib: string, symbols: Record<string, { args: string[]; returns: string }>): { symbols: { madvise: Madvise } };
    };
    madvise = ffi.dlopen('libc.so.6', { madvise: { args: ['u64', 'u64', 'i32'], returns: 'i32' } }).symbols.madvise;
  } catch {
    madvise = null; // no FFI here: a collection is all it can do
  }
  return madvise;
}

/** A full collection, then the binary's pages handed back. Returns the bytes of the mappings advised (0 when it cannot). */
export async function trimMemory(): Promise<number> {
  (globalThis as { Bun?: { gc(full: boolean): void } }).Bun?.gc(true);
  const advise = await loadMadvise();
  if (!advise) return 0;
  let bytes = 0n;
  for (const [addr, len] of mappingsOf(readFileSync('/proc/self/maps', 'utf8'), process.execPath)) {
    if (advise(addr, len, MADV_PAGEOUT) === 0) bytes += len;
  }
  return Number(bytes);
}
