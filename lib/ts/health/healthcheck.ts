// The healthcheck gate: a new container goes into rotation only after
// http://IP:PORT<snippet> answers 200. Every attempt's outcome is kept, so a
// failure says what the service last answered (or why it could not connect).
import { request } from 'node:http';

export interface CheckResult {
  ok: boolean;
  status?: number;
  body?: string;
  error?: string;
}

export function probe(url: string, timeoutMs = 2000): Promise<CheckResult> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { if (body.length < 2000) body += c; });
      res.on('end', () => resolve({ ok: res.statusCode === 200, status: res.statusCode, body: body.slice(0, 200) }));
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

export interface GateOptions {
  timeoutSeconds: number;
  intervalMs?: number;
  /** Stop early (e.g. the container already exited); returns a reason. */
  abort?: () => string | null;
}

/** Resolves when the URL answers 200; rejects with the last outcome otherwise. */
export async function waitHealthy(url: string, opts: GateOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutSeconds * 1000;
  let last: CheckResult = { ok: false, error: 'not checked yet' };
  for (;;) {
    last = await probe(url, Math.min(5000, Math.max(500, deadline - Date.now())));
    if (last.ok) return;
    const aborted = opts.abort?.();
    if (aborted) throw new Error(`${aborted}; last check: ${describeCheck(url, last)}`);
    if (Date.now() >= deadline) {
      throw new Error(`healthcheck failed after ${opts.timeoutSeconds} s: ${describeCheck(url, last)}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}
