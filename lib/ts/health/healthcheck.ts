// The healthcheck gate: a new container goes into rotation only after
// http://IP:PORT<snippet> answers 200 (a configured healthcheck), or answers
// at all below 500 (none configured: an API with no route at / is up once it
// answers its 404). Every attempt's outcome is kept, so a failure says what
// the service last answered (or why it could not connect).
import { request } from 'node:http';

export interface CheckResult {
  ok: boolean;
  status?: number;
  body?: string;
  error?: string;
}

/** What counts as healthy: exactly 200, or any answer below 500. */
export type HealthRule = '200' | 'below-500';

export function healthy(status: number | undefined, rule: HealthRule): boolean {
  if (status === undefined) return false;
  return rule === '200' ? status === 200 : status < 500;
}

export function probe(url: string, timeoutMs = 2000, rule: HealthRule = '200'): Promise<CheckResult> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { if (body.length < 2000) body += c; });
      res.on('end', () => resolve({ ok: healthy(res.statusCode, rule), status: res.statusCode, body: body.slice(0, 200) }));
      res.on('error', (err) => resolve({ ok: false, error: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, error: err.code ?? err.message }));
    // bun's `timeout` does not cover the TCP connect: a SYN nobody answers (a
    // stopped container whose ARP entry is still fresh) held a probe for the
    // kernel's whole SYN retry time (over a minute). This timer always ends it.
    const hard = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('close', () => clearTimeout(hard));
    req.end();
  });
}

export function describeCheck(url: string, r: CheckResult): string {
  if (r.status !== undefined) {
    const body = (r.body ?? '').replace(/\s+/g, ' ').trim().slice(0, 120);
    return `${url} answered ${r.status}${body ? `: ${body}` : ''}`;
  }
  return `${url}: ${r.error ?? 'no answer'}`;
}

// Between two probes of the go-live gate: 25 ms for its first 2 s (most apps
// listen within them: a push goes live up to 75 ms sooner than at 100 ms; a
// refused connection costs next to nothing), 100 ms after.
const QUICK_INTERVAL_MS = 25;
const QUICK_FOR_MS = 2000;
const INTERVAL_MS = 100;

export interface GateOptions {
  timeoutSeconds: number;
  /** Between two probes (default: QUICK_INTERVAL_MS, then INTERVAL_MS). */
  intervalMs?: number;
  rule?: HealthRule;
  /** Stop early (e.g. the container already exited); returns a reason. */
  abort?: () => string | null;
  /**
   * Why the app cannot be reached (it listens on 127.0.0.1, or on another
   * port), asked every 2 s while connections are refused; the gate fails
   * once the same answer has held for `misplacedSeconds` (default 6).
   */
  misplaced?: () => Promise<string | null>;
  misplacedSeconds?: number;
}

/** Tracks one repeated answer: how long the same non-null value has held. */
export class Persisting {
  private value: string | null = null;
  private since = 0;

  /** Record a reading; returns the value once it has held for ms, else null. */
  see(value: string | null, now: number, ms: number): string | null {
    if (value === null || value !== this.value) {
      this.value = value;
      this.since = now;
      return null;
    }
    return now - this.since >= ms ? value : null;
  }
}

/**
 * Resolves when the URL answers healthy; rejects with the last outcome otherwise.
 * The misplaced-listener lookup runs beside the probes, never between two of
 * them: it inspects the container (about a second), and an app that is merely
 * still starting must go live on the first probe that finds it listening.
 */
export async function waitHealthy(url: string, opts: GateOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutSeconds * 1000;
  const quickUntil = Date.now() + QUICK_FOR_MS;
  let last: CheckResult = { ok: false, error: 'not checked yet' };
  const misplaced = new Persisting();
  const heldMs = (opts.misplacedSeconds ?? 6) * 1000;
  let refusedSince: number | null = null;
  let askedAt = 0;
  let lookup: Promise<void> | null = null;
  let held: string | null = null;
  for (;;) {
    last = await probe(url, Math.min(5000, Math.max(500, deadline - Date.now())), opts.rule ?? '200');
    if (last.ok) return;
    const aborted = opts.abort?.();
    if (aborted) throw new Error(`${aborted}; last check: ${describeCheck(url, last)}`);
    const now = Date.now();
    refusedSince = last.error === 'ECONNREFUSED' ? (refusedSince ?? now) : null;
    if (held !== null && refusedSince !== null) throw new Error(`healthcheck refused: ${held} (${describeCheck(url, last)})`);
    const ask = opts.misplaced;
    if (ask && refusedSince !== null && now - refusedSince >= 1000 && lookup === null && now - askedAt >= 2000) {
      askedAt = now;
      lookup = ask().catch(() => null).then((value) => {
        held = misplaced.see(value, now, heldMs);
        lookup = null;
      });
    }
    if (now >= deadline) {
      throw new Error(`healthcheck failed after ${opts.timeoutSeconds} s: ${describeCheck(url, last)}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? (now < quickUntil ? QUICK_INTERVAL_MS : INTERVAL_MS)));
  }
}
