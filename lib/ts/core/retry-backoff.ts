// Pure: when to try an unreachable repo (the HQ or a service's) again.
// The first failure retries at the next pulse, then the wait doubles up to
// five minutes; a success or a nudge forgets the failures.

export interface RetryState {
  failures: number; // failed fetches in a row
  since: string;    // ISO time of the first of them
  nextAt: number;   // epoch ms before which no fetch is tried
}

export const RETRY_MAX_MS = 300_000;

export function afterFailure(prev: RetryState | undefined, now: number, pulseMs: number, maxMs = RETRY_MAX_MS): RetryState {
  const failures = (prev?.failures ?? 0) + 1;
  const delay = Math.min(maxMs, pulseMs * 2 ** Math.min(failures - 1, 20));
  return { failures, since: prev?.since ?? new Date(now).toISOString(), nextAt: now + delay };
}

export function due(retry: RetryState | undefined, now: number): boolean {
  return retry === undefined || now >= retry.nextAt;
}

/** "unreachable since ..., 3 failed tries, next at ..." for status and logs. */
export function describeRetry(retry: RetryState): string {
  return `${retry.failures} failed ${retry.failures === 1 ? 'try' : 'tries'} since ${retry.since}, next try at ${new Date(retry.nextAt).toISOString()}`;
}
