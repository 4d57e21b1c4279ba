// The agent's reads of the phleet secret set, failing closed: a container
// start gets the set or does not happen; an unreadable set is reported once
// (path and cause) in the log and as `secretsError` in status, and clears at
// the first good read.
import type { Logger } from '../core/log.js';
import type { ShipSecrets } from '../secrets/store.js';
import type { ShipState } from './state.js';

export class SecretReads {
  private lastRollout = 0;

  constructor(private readonly secrets: ShipSecrets, private readonly state: () => ShipState, private readonly log: Logger) {}

  private report(msg: string, tail: string): void {
    const state = this.state();
    if (state.secretsError !== msg) this.log('agent', null, `phleet secrets: ${msg}${tail}`);
    state.secretsError = msg;
  }

  /** The set as export lines for a container start; throws when it cannot be read. */
  exportLines(): Buffer {
    try {
      const lines = this.secrets.exportLines();
      this.state().secretsError = undefined;
      return lines;
    } catch (err) {
      const msg = (err as Error).message;
      this.report(msg, '; services that need a start wait for a readable set');
      throw new Error(`its phleet secrets cannot be read: ${msg}`);
    }
  }

  /** The set's rollout version, or the last one read while it is unreadable. */
  rolloutVersion(): number {
    try {
      this.lastRollout = this.secrets.load().rollout;
    } catch (err) {
      this.report((err as Error).message, '');
    }
    return this.lastRollout;
  }
}
