// A service's release history on one ship, pure. A release is a slug plus its
// config (orders, the phleet secrets' rollout version), numbered per service.
// Its outcome moves once: pending → live | failed; a live one later becomes
// superseded (a newer release took over) or rolled-back (the newer one runs
// an earlier commit again).

export type ReleaseChange = 'code' | 'orders' | 'secrets';
export type ReleaseOutcome = 'pending' | 'live' | 'failed' | 'rolled-back' | 'superseded';

export interface ReleaseRecord {
  number: number;
  commit: string;
  ordersHash: string;
  secretsVersion: number;
  changed: ReleaseChange[];
  at: string;
  outcome: ReleaseOutcome;
  cause?: string;
}

/** Releases kept per service (the oldest go). */
export const KEEP_RELEASES = 30;

export interface ReleaseInput {
  commit: string;
  ordersHash: string;
  secretsVersion: number;
}

/** What changed since the release that serves (or, none serving, the newest): all of it for the first. */
export function changesSince(prev: ReleaseRecord | undefined, next: ReleaseInput): ReleaseChange[] {
  if (!prev) return ['code', 'orders', 'secrets'].filter((c) => c !== 'secrets' || next.secretsVersion > 0) as ReleaseChange[];
  const changed: ReleaseChange[] = [];
  if (prev.commit !== next.commit) changed.push('code');
  if (prev.ordersHash !== next.ordersHash) changed.push('orders');
  if (prev.secretsVersion !== next.secretsVersion) changed.push('secrets');
  return changed;
}

/** The next release, appended (pending) to history; returns it. */
export function openRelease(history: ReleaseRecord[], next: ReleaseInput, at: Date): ReleaseRecord {
  const live = [...history].reverse().find((r) => r.outcome === 'live') ?? history[history.length - 1];
  const number = (history[history.length - 1]?.number ?? 0) + 1;
  const r: ReleaseRecord = { number, ...next, changed: changesSince(live, next), at: at.toISOString(), outcome: 'pending' };
  history.push(r);
  if (history.length > KEEP_RELEASES) history.splice(0, history.length - KEEP_RELEASES);
  return r;
}

/** It went live: the one live before it is superseded, or rolled back when this one runs an earlier commit again. */
export function settleLive(history: ReleaseRecord[], number: number): void {
  const r = history.find((x) => x.number === number);
  if (!r) return;
  for (const x of history) {
    if (x.outcome !== 'live' || x.number === number) continue;
    const earlier = history.some((y) => y.number < x.number && y.commit === r.commit && y.commit !== x.commit);
    x.outcome = earlier ? 'rolled-back' : 'superseded';
  }
  r.outcome = 'live';
  delete r.cause;
}

export function settleFailed(history: ReleaseRecord[], number: number, cause: string): void {
  const r = history.find((x) => x.number === number);
  if (!r || r.outcome !== 'pending') return;
  r.outcome = 'failed';
  r.cause = cause;
}

/** A release still pending after an agent restart was cut short. */
export function settleInterrupted(history: ReleaseRecord[]): void {
  for (const r of history) if (r.outcome === 'pending') { r.outcome = 'failed'; r.cause = 'interrupted by an agent restart'; }
}
