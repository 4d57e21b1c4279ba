// Keeps a certificate for every domain the ship serves: issues the missing
// ones through ACME, renews those with a third of their lifetime left (or
// when asked), one at a time, on a loop of its own. A failure is shown in
// status with its reason and retried with backoff (1 min doubling to 1 h);
// it never touches what serves: the live certificate stays until a new one
// replaces it.
import { readFileSync } from 'node:fs';
import type { ShipConfig } from '../core/config.js';
import type { ShipPaths } from '../core/paths.js';
import { runScript } from '../core/sh.js';
import { ensureTlsTmpfs, renewalDue, type CertStore } from './cert-store.js';

export interface CertStatus {
  domain: string;
  state: 'valid' | 'issuing' | 'failed' | 'none';   // none: no ACME (off) and no certificate
  source: 'acme' | 'own' | null;                    // own: an admiral's `cert add`
  notAfter: string | null;
  error: string | null;
  retryAt: string | null;
}

export interface KeeperDeps {
  config: ShipConfig;
  paths: ShipPaths;
  shDir: string;
  store: CertStore;
  /** The domains the ship routes now (their owners' DOMAINS). */
  wanted(): string[];
  /** A new live certificate: render and reload nginx. */
  changed(): Promise<void>;
  log(line: string): void;
  /** An order or renewal failed (notifications). */
  failed?(domain: string, why: string): void;
}

const ISSUE_TIMEOUT_SECONDS = 180;
const TICK_MS = 2000;

interface Trouble { error: string; failures: number; retryAt: number }

export class CertKeeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private issuing: string | null = null;
  private readonly trouble = new Map<string, Trouble>();
  private readonly forced = new Map<string, Array<(err: Error | null) => void>>();

  constructor(private readonly deps: KeeperDeps) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), TICK_MS);
    this.kick();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  kick(): void {
    this.running ??= this.tick().catch((err: Error) => this.deps.log(`certificates: ${err.message}`)).finally(() => { this.running = null; });
  }

  /** Renew DOMAIN now (`starphleet cert renew`); resolves once it is done, rejects with the reason. */
  renew(domain: string): Promise<void> {
    if (!this.deps.wanted().includes(domain)) return Promise.reject(new Error(`no service on this ship has ${domain} in its DOMAINS`));
    if (this.deps.store.read(domain)?.source === 'own') {
      return Promise.reject(new Error(`${domain} is served with its own certificate (cert add): replace it with cert add, or cert remove it to let ACME issue one`));
    }
    if (!this.deps.config.acmeDirectory) return Promise.reject(new Error('ACME is off on this ship (--acme-directory off)'));
    return new Promise((resolve, reject) => {
      const waiters = this.forced.get(domain) ?? [];
      waiters.push((err) => (err ? reject(err) : resolve()));
      this.forced.set(domain, waiters);
      this.trouble.delete(domain);
      this.kick();
    });
  }

  /** Every wanted domain, then own certificates no service claims (the ship's own names). */
  status(): CertStatus[] {
    const wanted = this.deps.wanted();
    const own = this.deps.store.domains().filter((d) => !wanted.includes(d) && this.deps.store.read(d)?.source === 'own');
    return [...wanted, ...own].map((domain) => {
      const stored = this.deps.store.read(domain);
      const t = this.trouble.get(domain);
      const state: CertStatus['state'] = this.issuing === domain ? 'issuing' : t ? 'failed' : stored ? 'valid' : 'none';
      return {
        domain, state, source: stored?.source ?? null, notAfter: stored?.notAfter ?? null, error: t?.error ?? null,
        retryAt: t ? new Date(t.retryAt).toISOString() : null,
      };
    });
  }

  private async tick(): Promise<void> {
    const { config, store } = this.deps;
    if (!config.acmeDirectory) return;
    const now = Date.now();
    for (const domain of this.deps.wanted()) {
      const stored = store.read(domain);
      const forced = this.forced.has(domain);
      const due = forced || !stored || (stored.source === 'acme' && renewalDue(stored, now));
      const t = this.trouble.get(domain);
      if (!due || (t && now < t.retryAt && !forced)) continue;
      await this.issue(domain);
    }
  }

  private async issue(domain: string): Promise<void> {
    const { config, paths, store } = this.deps;
    this.issuing = domain;
    let failure: Error | null = null;
    try {
      // lego writes the new key into its work folder: that is on the tmpfs, never a disk.
      await ensureTlsTmpfs(paths);
      const args = [config.acmeDirectory ?? '', paths.acmeWebroot, paths.acmeWork, domain, ...(config.acmeEmail ? [config.acmeEmail] : [])];
      const env = { ...process.env, ...(config.acmeCa ? { STARPHLEET_ACME_CA: config.acmeCa } : {}) };
      const r = await runScript(`${this.deps.shDir}/acme-issue`, args, { env, timeoutSeconds: ISSUE_TIMEOUT_SECONDS, maxOutputBytes: 64 * 1024 });
      const lines = (r.stdout + r.stderr).trim().split('\n').filter((l) => l.trim() !== '');
      if (r.timedOut) throw new Error(`the ACME client ran longer than ${ISSUE_TIMEOUT_SECONDS} s`);
      if (r.code !== 0) throw new Error(acmeReason(lines) ?? `the ACME client exited ${r.code}`);
      const [certFile, keyFile] = r.stdout.trim().split('\n').slice(-2);
      const stored = store.save(domain, readFileSync(certFile, 'utf8'), readFileSync(keyFile, 'utf8'), 'acme');
      this.trouble.delete(domain);
      this.deps.log(`certificate for ${domain} issued, valid until ${stored.notAfter}`);
      await this.deps.changed();
    } catch (err) {
      failure = err as Error;
      const failures = (this.trouble.get(domain)?.failures ?? 0) + 1;
      const waitS = Math.min(3600, 60 * 2 ** (failures - 1));
      this.trouble.set(domain, { error: failure.message, failures, retryAt: Date.now() + waitS * 1000 });
      this.deps.log(`certificate for ${domain} failed (try ${failures}, next in ${waitS} s): ${failure.message}`);
      this.deps.failed?.(domain, failure.message);
    } finally {
      this.issuing = null;
      const waiters = this.forced.get(domain) ?? [];
      this.forced.delete(domain);
      for (const w of waiters) w(failure);
    }
  }
}

/** The line of lego's output that says why, without its timestamp. */
export function acmeReason(lines: string[]): string | null {
  const strip = (l: string): string => l.replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /, '').trim();
  const why = [...lines].reverse().find((l) => /error|fail|refused|timeout|unable|could not|invalid/i.test(l));
  return why ? strip(why).slice(0, 400) : lines.length ? strip(lines[lines.length - 1]).slice(0, 400) : null;
}
