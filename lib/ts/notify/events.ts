// What a ship tells the phleet's notification URLs, pure: the event's JSON
// (with `text` for Slack's and `content` for Discord's incoming webhooks, so
// either works as is), the per-service rate limit, the crash-loop rule, the
// URL list (a ship setting) and how a URL is shown (redacted: it carries a token).

export type NotifyEventName = 'deploy.live' | 'deploy.failed' | 'crash.loop' | 'health.failing' | 'cert.failed' | 'agent.restarted';

export interface NotifyEvent {
  event: NotifyEventName;
  ship: string;
  service: string | null;
  commit: string | null;
  cause: string | null;
  at: string;
  text: string;     // Slack
  content: string;  // Discord
}

const SAY: Record<NotifyEventName, string> = {
  'deploy.live': 'is live',
  'deploy.failed': 'failed to deploy',
  'crash.loop': 'is crash-looping',
  'health.failing': 'fails its healthcheck',
  'cert.failed': 'has a certificate problem',
  'agent.restarted': 'agent restarted',
};

export function notifyEvent(event: NotifyEventName, f: { ship: string; service?: string | null; commit?: string | null; cause?: string | null }, at: Date): NotifyEvent {
  const what = f.service ? `${f.service} on ${f.ship}` : `ship ${f.ship}`;
  const commit = f.commit ? ` (${f.commit.slice(0, 12)})` : '';
  const line = `Starphleet: ${what} ${SAY[event]}${commit}${f.cause ? `: ${f.cause}` : ''}`.slice(0, 1900);
  return { event, ship: f.ship, service: f.service ?? null, commit: f.commit ?? null, cause: f.cause ?? null, at: at.toISOString(), text: line, content: line };
}

/** Restarts within this window that make a crash loop. */
export const CRASH_LOOP_RESTARTS = 3;
export const CRASH_LOOP_WINDOW_MS = 5 * 60_000;

/** Restart times (ms) of one container, the newest last: a crash loop now? (said once per window) */
export function crashLoop(restarts: number[], now: number): boolean {
  const recent = restarts.filter((t) => now - t <= CRASH_LOOP_WINDOW_MS);
  return recent.length === CRASH_LOOP_RESTARTS;
}

/** At most `perWindow` events per service (or ship) per window; the rest are counted, not sent. */
export class NotifyLimiter {
  private readonly sent = new Map<string, number[]>();

  constructor(private readonly perWindow = 10, private readonly windowMs = 10 * 60_000) {}

  allow(key: string, now: number): boolean {
    const times = (this.sent.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (times.length >= this.perWindow) {
      this.sent.set(key, times);
      return false;
    }
    times.push(now);
    this.sent.set(key, times);
    return true;
  }
}

/** The notification URLs as the ship setting holds them: one per line. */
export function parseUrlList(text: string | null | undefined): string[] {
  return (text ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
}

/** A notification URL's problem, or null: http(s) only, no credentials in its authority. */
export function urlProblem(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `'${redact(url)}' is not a URL`;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return `${redact(url)}: only http and https URLs can be notified`;
  return null;
}

/** scheme://host/… with the path and query hidden (they hold the token). */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    const tail = `${u.pathname}${u.search}`;
    return `${u.protocol}//${u.host}${tail.length > 1 ? `/…${tail.slice(-4)}` : '/'}`;
  } catch {
    return '(not a URL)';
  }
}
