// Sends the ship's notification events to the phleet's URLs: one POST of the
// event's JSON each, a 5 s deadline, the answer's body never read; a failure
// (no answer, or not 2xx) is retried with backoff (2, 4, 8, 16 s), then
// dropped with one log line. A bounded queue; rate-limited per service. The
// URLs (tokens inside) are read from the ship setting at each send and never
// logged whole.
import { NotifyLimiter, notifyEvent, parseUrlList, redact, type NotifyEvent, type NotifyEventName } from './events.js';

const TIMEOUT_MS = 5000;
const RETRIES = [2000, 4000, 8000, 16_000];
const QUEUE_MAX = 200;

export interface NotifierDeps {
  ship: string;
  urls: () => string | null;    // the ship setting's text, one URL per line
  log: (line: string) => void;
  post?: (url: string, body: string, timeoutMs: number) => Promise<number>;
}

async function httpPost(url: string, body: string, timeoutMs: number): Promise<number> {
  const res = await fetch(url, {
    method: 'POST', body, headers: { 'Content-Type': 'application/json', 'User-Agent': 'starphleet' },
    signal: AbortSignal.timeout(timeoutMs), redirect: 'manual',
  });
  await res.body?.cancel().catch(() => undefined);
  return res.status;
}

export class Notifier {
  private readonly limiter = new NotifyLimiter();
  private inFlight = 0;
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly deps: NotifierDeps) {}

  notify(event: NotifyEventName, f: { service?: string | null; commit?: string | null; cause?: string | null } = {}): void {
    if (this.stopped) return;
    const urls = parseUrlList(this.deps.urls());
    if (urls.length === 0) return;
    if (!this.limiter.allow(f.service ?? '(ship)', Date.now())) return;
    const e = notifyEvent(event, { ship: this.deps.ship, ...f }, new Date());
    for (const url of urls) this.send(url, e, 0);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private send(url: string, e: NotifyEvent, attempt: number): void {
    if (this.stopped) return;
    if (this.inFlight >= QUEUE_MAX) { this.deps.log(`notify ${redact(url)}: ${e.event} dropped (${QUEUE_MAX} events waiting)`); return; }
    this.inFlight += 1;
    const post = this.deps.post ?? httpPost;
    void post(url, JSON.stringify(e), TIMEOUT_MS)
      .then((code) => (code >= 200 && code < 300 ? null : `answered ${code}`), (err: Error) => err.message)
      .then((problem) => {
        this.inFlight -= 1;
        if (problem === null) return;
        const wait = RETRIES[attempt];
        if (wait === undefined) { this.deps.log(`notify ${redact(url)}: ${e.event} not delivered after ${attempt + 1} tries (${problem})`); return; }
        this.deps.log(`notify ${redact(url)}: ${e.event} ${problem}; again in ${wait / 1000} s`);
        const t = setTimeout(() => { this.timers.delete(t); this.send(url, e, attempt + 1); }, wait);
        t.unref();
        this.timers.add(t);
      });
  }
}
