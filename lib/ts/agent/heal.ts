// Self-healing on a loop of its own: every second it looks at each serving
// container — exited, or failing its healthcheck HEALTHCHECK_RETRY_COUNT
// times in a row — and restarts it with backoff (1 s doubling to 60 s; a
// stable minute starts over at 1 s). Nothing a poll, a fetch, an orders read
// or a build does can delay it: it awaits none of them, and each restart runs
// on its own, so one slow restart holds up no other.
import type { CheckResult } from '../health/healthcheck.js';
import type { ContainerRecord } from './state.js';
import { advance } from './version-states.js';

const TICK_MS = 1000;
const RESTART_BACKOFF_MAX_MS = 60_000;
const STABLE_MS = 60_000;
const NOT_STARTED_RETRY_MS = 2000;

/** The I/O edges healing needs: tests give fakes. */
export interface HealDeps {
  /** Versions that serve or should: online and restarting ones. */
  serving(): ContainerRecord[];
  /** null while it runs; its exit status (or -1: its supervisor is gone) once it ended. */
  exited(c: ContainerRecord): number | null;
  probe(c: ContainerRecord, timeoutMs: number): Promise<CheckResult>;
  describeProbe(c: ContainerRecord, r: CheckResult): string;
  describeExit(c: ContainerRecord, code: number): string;
  /** Stop what is left of it and start it again (the secrets read afresh); throws when it cannot start. */
  restart(c: ContainerRecord): Promise<void>;
  settings(c: ContainerRecord): { pulseMs: number; retries: number; timeoutMs: number } | undefined;
  noteHealth(c: ContainerRecord, ok: boolean, result: string): void;
  report(c: ContainerRecord, message: string, isError: boolean): void;
  save(): void;
}

interface Watch {
  lastProbe: number;
  failures: number;
  last: string;
  restartAt?: number;      // a restart is due then
  restarting?: boolean;    // a restart runs now
  restartedAt?: number;    // when the current process was started
}

export class Healer {
  private readonly watches = new Map<string, Watch>();
  private timer: NodeJS.Timeout | null = null;
  private ticking = false;
  private stopped = false;

  constructor(private readonly deps: HealDeps) {}

  start(): void {
    this.stopped = false;
    const loop = (): void => {
      if (this.stopped) return;
      void this.tick().finally(() => { if (!this.stopped) this.timer = setTimeout(loop, TICK_MS); });
    };
    this.timer = setTimeout(loop, TICK_MS);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Look now (a request waits in the hold): at most one look at a time. */
  soon(): void {
    if (!this.stopped) void this.tick();
  }

  /** The container is running again after a restart (not merely due one). */
  runningAgain(c: ContainerRecord): boolean {
    const w = this.watches.get(c.name);
    return !w || (w.restartAt === undefined && !w.restarting);
  }

  /** It answered its healthcheck (a probe here, or the hold's). */
  answered(c: ContainerRecord): void {
    const w = this.watch(c);
    w.failures = 0;
    c.answeredSinceRestart = true;
    if (c.state === 'restarting' && this.runningAgain(c)) {
      advance(c, 'recovered');
      c.recoveredAt = new Date().toISOString();
      this.deps.report(c, `${c.name} answers again`, false);
      this.deps.save();
    }
  }

  /** Found ended at agent start: restart at the first look, without waiting out a backoff. */
  restartAtOnce(c: ContainerRecord): void {
    const w = this.watch(c);
    w.restartAt = Date.now();
    if (c.state === 'online') advance(c, 'crash');
  }

  forget(name: string): void {
    this.watches.delete(name);
  }

  private watch(c: ContainerRecord): Watch {
    let w = this.watches.get(c.name);
    if (!w) { w = { lastProbe: 0, failures: 0, last: '' }; this.watches.set(c.name, w); }
    return w;
  }

  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const now = Date.now();
      await Promise.all(this.deps.serving().map((c) => this.look(c, now).catch((err: Error) => {
        this.deps.report(c, `healing ${c.name} failed: ${err.message}`, true);
      })));
      const live = new Set(this.deps.serving().map((c) => c.name));
      for (const name of this.watches.keys()) if (!live.has(name)) this.watches.delete(name);
    } finally {
      this.ticking = false;
    }
  }

  private async look(c: ContainerRecord, now: number): Promise<void> {
    const w = this.watch(c);
    if (w.restarting) return;
    if (w.restartAt !== undefined) {
      if (now >= w.restartAt) void this.restart(c, w);
      return;
    }
    const code = this.deps.exited(c);
    if (code !== null) return this.scheduleRestart(c, w, this.deps.describeExit(c, code));
    const settings = this.deps.settings(c);
    if (!settings) return;
    // A restarted process is probed every tick until it answers; a serving one every HEALTHCHECK_PULSE.
    const every = c.state === 'restarting' ? 0 : settings.pulseMs;
    if (now - w.lastProbe < every) return;
    w.lastProbe = now;
    const r = await this.deps.probe(c, 2000);
    const result = this.deps.describeProbe(c, r);
    this.deps.noteHealth(c, r.ok, result);
    if (r.ok) return this.answered(c);
    w.last = result;
    if (c.state === 'restarting') {
      // It gets its healthcheck budget to answer after a restart, then another restart.
      if (now - (w.restartedAt ?? now) >= settings.timeoutMs) this.scheduleRestart(c, w, `did not answer within ${settings.timeoutMs / 1000} s of its restart (${result})`);
      return;
    }
    w.failures += 1;
    if (w.failures < settings.retries) return;
    w.failures = 0;
    this.scheduleRestart(c, w, `stopped answering its healthcheck (${result})`);
  }

  private scheduleRestart(c: ContainerRecord, w: Watch, why: string): void {
    // A container that stayed up for a stable minute starts over at 1 s.
    if (c.lastRestartAt && Date.now() - Date.parse(c.lastRestartAt) > STABLE_MS && c.state === 'online') c.backoff = 0;
    const delay = Math.min(RESTART_BACKOFF_MAX_MS, 1000 * 2 ** Math.min(c.backoff ?? 0, 6));
    c.backoff = (c.backoff ?? 0) + 1;
    w.restartAt = Date.now() + delay;
    advance(c, 'crash');
    c.recoveredAt = undefined;
    this.deps.report(c, `${c.name} ${why}; restarting in ${delay / 1000} s`, true);
    this.deps.save();
  }

  private async restart(c: ContainerRecord, w: Watch): Promise<void> {
    w.restarting = true;
    w.restartAt = undefined;
    try {
      c.restarts += 1;
      c.lastRestartAt = new Date().toISOString();
      c.answeredSinceRestart = false;
      await this.deps.restart(c);
      w.restartedAt = Date.now();
      w.failures = 0;
      w.lastProbe = 0;
      this.deps.report(c, `restarted ${c.name} (restart ${c.restarts})`, false);
    } catch (err) {
      // Not started (e.g. its secrets cannot be read): tried again soon, so a
      // repair heals it within seconds; nothing ran, so no backoff grows.
      const delay = NOT_STARTED_RETRY_MS;
      w.restartAt = Date.now() + delay;
      this.deps.report(c, `${c.name} not restarted: ${(err as Error).message}; trying again in ${delay / 1000} s`, true);
    } finally {
      w.restarting = false;
      this.deps.save();
    }
  }
}
