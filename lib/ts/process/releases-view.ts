// `starphleet releases`: each service's release history on a ship, as a
// stable JSON document and as plain text (pure over the ship state).
import type { ShipState } from '../agent/state.js';
import type { ReleaseChange, ReleaseOutcome } from './releases.js';

export interface ReleaseView {
  number: number;
  commit: string;
  changed: ReleaseChange[];
  at: string;
  outcome: Exclude<ReleaseOutcome, 'pending'> | 'pending';
  cause: string | null;
  serving: boolean;
}

export interface ServiceReleases {
  path: string;
  releases: ReleaseView[]; // oldest first
}

/** Every service's releases (or one service's: path), newest last. */
export function releasesOf(state: ShipState, path?: string): ServiceReleases[] {
  return Object.values(state.services)
    .filter((s) => path === undefined || s.path === path)
    .sort((a, b) => a.path.localeCompare(b.path))
    .map((s) => {
      const serving = s.serving ? state.containers[s.serving]?.release : undefined;
      return {
        path: s.path,
        releases: (s.releases ?? []).map((r) => ({
          number: r.number, commit: r.commit, changed: [...r.changed], at: r.at, outcome: r.outcome, cause: r.cause ?? null, serving: r.number === serving,
        })),
      };
    });
}

export function formatReleases(list: ServiceReleases[]): string {
  const lines: string[] = [];
  for (const s of list) {
    lines.push(`${s.path}${s.releases.length === 0 ? '  (no releases on this ship)' : ''}`);
    for (const r of [...s.releases].reverse()) {
      lines.push(`  v${r.number}  ${r.commit.slice(0, 12)}  ${r.at.slice(0, 19).replace('T', ' ')}  ${(r.changed.join('+') || 'restart').padEnd(19)}  ${r.serving ? 'serving' : r.outcome}${r.cause ? `: ${r.cause}` : ''}`);
    }
  }
  return lines.join('\n');
}
