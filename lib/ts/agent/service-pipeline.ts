// One service's own pipeline: read its orders, fetch its repo, and deploy
// what changed, one step after another and never waiting on another
// service. The agent kicks every pipeline each pulse (and on a nudge or an
// HQ change) without awaiting it, so a stalled git host, orders file or
// build holds up this service alone. Every step it is in is shown in
// `status` with the time it has waited.
import type { GitTarget } from '../git/resolve.js';
import type { FoundService } from '../hq/scan.js';
import type { Orders } from '../hq/orders.js';
import { OrdersTimedOut } from '../hq/orders-timed-out.js';
import { afterFailure, describeRetry, due, type RetryState } from '../core/retry-backoff.js';
import { deployKey, type ServiceRecord } from './state.js';
import type { VersionState } from './version-states.js';

/** A version before it has a container: waiting for a slot or building. */
export interface PendingVersion {
  key: string;
  commit: string;
  state: VersionState;   // queued | building, moved by `advance`
  container?: string;    // once made, the version lives on as this container record
}

export type StepName = 'orders' | 'fetch' | 'deploy';

export interface PipelineStep {
  name: StepName;
  since: number;
}

/** What a pipeline needs of the ship: every I/O edge, so tests can fake each. */
export interface PipelineSteps {
  readOrders(s: ServiceRecord, found: FoundService, hqCommit: string): Promise<Orders>;
  fetch(s: ServiceRecord, target: GitTarget): Promise<string>;
  explainFetch(err: Error): Promise<string>;
  rolloutVersion(): number;
  /** The deploy key of the version serving now, if any. */
  servingKey(s: ServiceRecord): string | undefined;
  deploy(s: ServiceRecord, orders: Orders, commit: string, version: PendingVersion): Promise<void>;
  log(s: ServiceRecord, message: string): void;
  save(): void;
  pulseMs(): number;
}

export class ServicePipeline {
  /** The step running now, for `status`. */
  step: PipelineStep | null = null;
  /** The version being deployed, from queued until it is live or failed. */
  pending: PendingVersion | null = null;
  private found: FoundService | null = null;
  private ordersFor: string | null = null;   // the HQ commit whose orders were read
  private hqCommit: string | null = null;
  /** A fetch backoff belongs to the URL#ref it failed for. */
  private fetchRetry: { key: string; retry: RetryState } | undefined;
  /** Orders that ran out of time are read again at this HQ commit, with backoff. */
  private ordersRetry: RetryState | undefined;
  private running: Promise<void> | null = null;
  private again = false;
  private changedMore = false; // this run entered a step that writes beyond this service's record
  private retired = false;
  private readonly pollWaiters: Array<() => void> = [];
  private lastFailure: string | null = null;

  constructor(readonly record: ServiceRecord, private readonly steps: PipelineSteps) {}

  /** The HQ now has this orders file at this commit: read it at the next run. */
  setOrders(found: FoundService, hqCommit: string): void {
    if (hqCommit !== this.hqCommit) this.ordersRetry = undefined; // a new HQ commit is read at once
    this.found = found;
    this.hqCommit = hqCommit;
  }

  /** Run now; if a run is in progress, run once more after it. Never waits. */
  kick(): void {
    if (this.retired) return;
    if (this.running) { this.again = true; return; }
    // A kick that lands after the loop's last check (its waiters already
    // released, `running` not yet cleared) is not lost: it runs once more.
    this.running = this.loop().finally(() => {
      this.running = null;
      if (this.again) this.kick();
    });
  }

  /** Forget a failed version and the fetch backoff: the next run tries again. */
  forgive(): void {
    this.record.failedKey = undefined;
    this.fetchRetry = undefined;
    this.ordersRetry = undefined;
  }

  /** Resolves once this run's polls are done: it went idle, or reached a deploy. */
  polled(): Promise<void> {
    if (!this.running || this.step?.name === 'deploy') return Promise.resolve();
    return new Promise((resolve) => this.pollWaiters.push(resolve));
  }

  private releasePolled(): void {
    for (const w of this.pollWaiters.splice(0)) w();
  }

  retire(): void {
    this.retired = true;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      // An idle pulse (fetch: the same commit) changes nothing: the state file,
      // every service's, is written only when this run changed something.
      const before = JSON.stringify(this.record);
      this.changedMore = false;
      try {
        await this.runOnce();
        this.lastFailure = null;
      } catch (err) {
        // Tried again next pulse (e.g. an unreadable secret set, until repaired); said once.
        const msg = `${this.step?.name ?? 'pipeline'} step failed: ${(err as Error).message}`;
        if (msg !== this.lastFailure) this.steps.log(this.record, msg);
        this.lastFailure = msg;
        this.record.lastError = msg;
      } finally {
        this.step = null;
        if (this.changedMore || JSON.stringify(this.record) !== before) this.steps.save();
      }
    } while (this.again && !this.retired);
    this.releasePolled();
  }

  private enter(name: StepName): void {
    this.step = { name, since: Date.now() };
    if (name !== 'fetch') this.changedMore = true; // orders and deploys write beyond this record
    if (name === 'deploy') this.releasePolled();
  }

  private async runOnce(): Promise<void> {
    const s = this.record;
    if (this.found && this.hqCommit && this.ordersFor !== this.hqCommit && due(this.ordersRetry, Date.now())) {
      await this.readOrders(this.found, this.hqCommit);
    }
    const orders = s.orders;
    if (!orders || s.ordersError || this.retired) return;
    const commit = await this.fetch(orders);
    if (commit === null || this.retired) return;
    const key = deployKey(commit, orders.hash, this.steps.rolloutVersion());
    if (this.steps.servingKey(s) === key) {
      if (s.lastError && !s.ordersError && s.failedKey === undefined) s.lastError = undefined;
      return;
    }
    if (s.failedKey === key) return;
    this.enter('deploy');
    const version: PendingVersion = { key, commit, state: 'queued' };
    this.pending = version;
    try {
      await this.steps.deploy(s, orders, commit, version);
    } finally {
      this.pending = null;
    }
  }

  private async readOrders(found: FoundService, hqCommit: string): Promise<void> {
    const s = this.record;
    this.enter('orders');
    try {
      const orders = await this.steps.readOrders(s, found, hqCommit);
      if (s.ordersError) this.steps.log(s, `${found.ordersRel} reads cleanly again`);
      s.orders = orders;
      s.ordersError = undefined;
      this.ordersRetry = undefined;
    } catch (err) {
      const timedOut = err instanceof OrdersTimedOut;
      const msg = `${found.ordersRel}: ${(err as Error).message}${timedOut ? '; read again with backoff' : ''}`;
      if (s.ordersError !== msg) this.steps.log(s, `orders skipped: ${msg}`);
      s.ordersError = msg;
      s.lastError = msg;
      s.fetchRetry = undefined; // nothing is fetched until the orders read again: no "next try at"
      if (timedOut) {
        this.ordersRetry = afterFailure(this.ordersRetry, Date.now(), this.steps.pulseMs());
        return; // not read at this commit yet: again once the backoff is over
      }
    }
    this.ordersFor = hqCommit;
  }

  /** The commit the orders' ref names now, or null (unreachable: backoff, or not due yet). */
  private async fetch(orders: Orders): Promise<string | null> {
    const s = this.record;
    // The ref is part of the key: fixing a mistyped branch is tried at once, not after the backoff.
    const retryKey = `${orders.autodeploy.url}#${orders.autodeploy.ref ?? ''}`;
    if (this.fetchRetry?.key !== retryKey) this.fetchRetry = undefined;
    if (!due(this.fetchRetry?.retry, Date.now())) return null;
    this.enter('fetch');
    let commit: string;
    try {
      commit = await this.steps.fetch(s, orders.autodeploy);
    } catch (err) {
      const msg = `${s.ordersFile}: ${await this.steps.explainFetch(err as Error)}`;
      if (s.lastError !== msg) this.steps.log(s, `${msg}${s.serving ? ' (the serving version keeps serving)' : ''}; retrying with backoff`);
      s.lastError = msg;
      const retry = afterFailure(this.fetchRetry?.retry, Date.now(), this.steps.pulseMs());
      this.fetchRetry = { key: retryKey, retry };
      s.fetchRetry = describeRetry(retry);
      return null;
    }
    if (this.fetchRetry) {
      this.steps.log(s, `${orders.autodeploy.url} reachable again`);
      if (s.lastError?.startsWith(`${s.ordersFile}: `)) s.lastError = undefined;
    }
    this.fetchRetry = undefined;
    s.fetchRetry = undefined;
    s.commit = commit;
    return commit;
  }
}
