// A git host's push hook, checked against the ship's hook secret (pure):
// GitHub's X-Hub-Signature-256 ("sha256=" + hex HMAC-SHA256 of the body),
// Gitea's and Forgejo's X-Gitea-Signature / X-Forgejo-Signature (the hex
// HMAC alone) and GitLab's X-Gitlab-Token (the secret itself). Every compare
// takes the same time whatever matches.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type HookHost = 'github' | 'gitea' | 'gitlab';
export type HookVerdict = { ok: true; host: HookHost } | { ok: false; why: string };

type Headers = Record<string, string | string[] | undefined>;

function header(h: Headers, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The HMAC the body should carry, against a hex string from a header. */
function hmacMatches(secret: Buffer, body: Buffer, hex: string): boolean {
  const want = createHmac('sha256', secret).update(body).digest();
  const wellFormed = /^[0-9a-f]{64}$/i.test(hex);
  const got = wellFormed ? Buffer.from(hex, 'hex') : Buffer.alloc(32);
  return timingSafeEqual(want, got) && wellFormed;
}

export function verifyPushHook(headers: Headers, body: Buffer, secret: Buffer): HookVerdict {
  const github = header(headers, 'x-hub-signature-256');
  if (github !== undefined) {
    const hex = github.startsWith('sha256=') ? github.slice(7) : '';
    return hmacMatches(secret, body, hex) ? { ok: true, host: 'github' } : { ok: false, why: 'X-Hub-Signature-256 does not match' };
  }
  const gitea = header(headers, 'x-gitea-signature') ?? header(headers, 'x-forgejo-signature');
  if (gitea !== undefined) {
    return hmacMatches(secret, body, gitea) ? { ok: true, host: 'gitea' } : { ok: false, why: 'X-Gitea-Signature does not match' };
  }
  const gitlab = header(headers, 'x-gitlab-token');
  if (gitlab !== undefined) {
    // Hashes first: equal lengths, so the compare says nothing about the secret's length.
    const same = timingSafeEqual(createHash('sha256').update(gitlab).digest(), createHash('sha256').update(secret).digest());
    return same ? { ok: true, host: 'gitlab' } : { ok: false, why: 'X-Gitlab-Token does not match' };
  }
  return { ok: false, why: 'no signature (X-Hub-Signature-256, X-Gitea-Signature or X-Gitlab-Token)' };
}

/**
 * Bad hooks are answered 401 up to `perMinute` a minute, then 429 until the
 * minute is over. Only failures count: a hook that checks out is never
 * refused because of earlier bad ones.
 */
export class BadHookLimiter {
  private windowStart = 0;
  private count = 0;

  constructor(private readonly perMinute = 30) {}

  /** A bad hook arrived at `now`: its status code. */
  bad(now: number): 401 | 429 {
    if (now - this.windowStart >= 60_000) {
      this.windowStart = now;
      this.count = 0;
    }
    this.count += 1;
    return this.count > this.perMinute ? 429 : 401;
  }
}
