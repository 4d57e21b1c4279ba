// Admirals and git over ssh, as the agent keeps them: on each HQ change the
// admiral user, its sudoers file and `authorized_keys` from the HQ's
// `authorized_keys/`; the privatize key every git fetch uses.
import { existsSync } from 'node:fs';
import { assets } from '../core/assets.js';
import { explainGitError, gitEnv, privatizedKey, storePrivateKey, type KeyInfo } from '../git/privatize.js';
import { syncAdmirals, type AdmiralsReport } from '../hq/admirals.js';
import type { AgentContext } from './context.js';

export class AdmiralSync {
  private report: AdmiralsReport | null = null;
  private syncedCommit: string | null = null;
  private error: string | undefined;
  /** The privatize key's fingerprint (undefined: not looked up yet). */
  private key: KeyInfo | null | undefined;

  constructor(private readonly ctx: AgentContext) {}

  /** Every git process of the ship: the privatize key and known_hosts policy. */
  gitEnv(): NodeJS.ProcessEnv {
    return gitEnv(this.ctx.config.root, this.ctx.config.knownHosts);
  }

  async sshKey(): Promise<KeyInfo | null> {
    if (this.key === undefined) this.key = await privatizedKey(this.ctx.config.root);
    return this.key;
  }

  async explainGit(err: Error): Promise<string> {
    return explainGitError(err.message, await this.sshKey());
  }

  /** On each HQ change (and once per agent start). */
  async sync(): Promise<void> {
    const ctx = this.ctx;
    const commit = ctx.state().hqCommit;
    if (!commit || commit === this.syncedCommit) return;
    const snapshot = ctx.paths.hqSnapshot(commit);
    if (!existsSync(snapshot)) return;
    const user = ctx.config.admiral;
    try {
      const report = await syncAdmirals(assets().sh, user, snapshot, commit, ctx.paths.admiralManaged);
      const before = this.report;
      for (const e of report.errors) if (!before?.errors.includes(e)) ctx.log('agent', null, `admirals: ${e}`);
      for (const n of report.notes) if (!before?.notes.includes(n)) ctx.log('agent', null, `admirals: ${n}`);
      const fps = report.keys.map((k) => k.fingerprint).join(' ');
      if (!before || before.keys.map((k) => k.fingerprint).join(' ') !== fps) {
        ctx.log('agent', null, `admirals: ${report.keys.length} key(s) for user ${user}${fps ? `: ${fps}` : ''}`);
      }
      this.report = report;
      this.syncedCommit = commit;
      this.error = undefined;
    } catch (err) {
      // Retried next HQ read; the keys written last time stay as they are.
      const msg = (err as Error).message;
      if (this.error !== msg) ctx.log('agent', null, `admirals: ${msg}`);
      this.error = msg;
    }
  }

  /** The admirals block of `status --json` and `info`. */
  status(): { user: string; keys: unknown[]; errors: string[]; notes: string[]; hqCommit: string | null; syncedAt: string | null } {
    return {
      user: this.ctx.config.admiral,
      keys: this.report?.keys ?? [],
      errors: [...(this.error ? [this.error] : []), ...(this.report?.errors ?? [])],
      notes: this.report?.notes ?? [],
      hqCommit: this.report?.hqCommit ?? null,
      syncedAt: this.report?.syncedAt ?? null,
    };
  }

  async privatize(key: string): Promise<KeyInfo> {
    const info = await storePrivateKey(this.ctx.config.root, key);
    this.key = info;
    this.ctx.log('agent', null, `privatized: git over ssh uses key ${info.fingerprint}${info.comment ? ` (${info.comment})` : ''}`);
    return info;
  }
}
