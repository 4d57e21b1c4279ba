// The headquarters' own loop: fetch it (bounded), export a snapshot of a new
// commit, find its services. Any problem — unreachable, a commit git cannot
// export, a tree that cannot be scanned — is shown as `hqError` and changes
// nothing that serves: the last snapshot's services keep their pipelines.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { assets } from '../core/assets.js';
import { afterFailure, describeRetry, due, type RetryState } from '../core/retry-backoff.js';
import { runOrThrow } from '../core/sh.js';
import { parseGitUrl, syncRepo } from '../git/resolve.js';
import { scanHeadquarters, type FoundService } from '../hq/scan.js';
import type { AgentContext } from './context.js';

export interface HqEvents {
  /** The HQ at `commit` lists these services (its snapshot is in place). */
  services(found: FoundService[], commit: string): Promise<void>;
  gitEnv(): NodeJS.ProcessEnv;
  explainGit(err: Error): Promise<string>;
}

export class HqPoller {
  /** Read by this agent at least once (sweeping gone services relies on it). */
  scannedOnce = false;
  private retry: RetryState | undefined;
  private running: Promise<void> | null = null;
  private again = false;

  constructor(private readonly ctx: AgentContext, private readonly events: HqEvents) {}

  /** Poll now, or once more after the poll in progress. Never waits. */
  kick(): Promise<void> {
    if (this.running) { this.again = true; return this.running; }
    this.running = (async () => {
      do {
        this.again = false;
        await this.pollOnce().catch((err: Error) => this.fail(`headquarters: ${err.message}`));
      } while (this.again && !this.ctx.stopping());
    })().finally(() => { this.running = null; });
    return this.running;
  }

  forgive(): void {
    this.retry = undefined;
  }

  private fail(msg: string): void {
    const state = this.ctx.state();
    if (state.hqError !== msg) this.ctx.log('agent', null, `${msg} (serving the last known orders)`);
    state.hqError = msg;
  }

  private async pollOnce(): Promise<void> {
    const ctx = this.ctx;
    const state = ctx.state();
    const url = ctx.config.headquarters ?? '';
    if (!due(this.retry, Date.now())) return;
    let commit: string;
    try {
      commit = await syncRepo(assets().sh, parseGitUrl(url), ctx.paths.hqCache, this.events.gitEnv(), ctx.config.gitTimeoutSeconds);
    } catch (err) {
      // Keep serving the last known orders; try again with backoff.
      this.fail(`headquarters ${url}: ${await this.events.explainGit(err as Error)}; retrying with backoff`);
      this.retry = afterFailure(this.retry, Date.now(), ctx.config.pulseSeconds * 1000);
      state.hqRetry = describeRetry(this.retry);
      return;
    }
    if (this.retry) ctx.log('agent', null, `headquarters ${url} reachable again`);
    this.retry = undefined;
    state.hqRetry = undefined;
    // Orders are read on every HQ change, and once per agent start.
    if (commit === state.hqCommit && this.scannedOnce && !state.hqError) return;
    const snapshot = ctx.paths.hqSnapshot(commit);
    let found: FoundService[];
    try {
      if (!existsSync(snapshot)) {
        mkdirSync(ctx.paths.hqSnapshots, { recursive: true });
        await runOrThrow(`${assets().sh}/git-export`, [ctx.paths.hqCache, commit, snapshot], { timeoutSeconds: ctx.config.gitTimeoutSeconds });
      }
      found = scanHeadquarters(snapshot);
    } catch (err) {
      rmSync(snapshot, { recursive: true, force: true });
      this.fail(`headquarters ${url} at ${commit.slice(0, 12)}: ${(err as Error).message.split('\n')[0]}`);
      return;
    }
    if (state.hqError) ctx.log('agent', null, `headquarters ${url} reads cleanly again at ${commit.slice(0, 12)}`);
    state.hqError = undefined;
    if (commit !== state.hqCommit) ctx.log('agent', null, `headquarters at ${commit.slice(0, 12)}`);
    state.hqCommit = commit;
    this.scannedOnce = true;
    for (const old of readdirSync(ctx.paths.hqSnapshots)) {
      if (old !== commit) rmSync(join(ctx.paths.hqSnapshots, old), { recursive: true, force: true });
    }
    await this.events.services(found, commit);
  }
}
