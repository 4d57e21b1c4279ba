// The containers of one release: its lead (the service's `serving` record,
// web.1 when it has a web process) and every other process instance started
// with it. Pure over the ship state.
import type { ContainerRecord, ShipState } from '../agent/state.js';
import { typeOf } from './process-plan.js';

/** Gone or going: not part of what a release runs. */
const ENDED = new Set(['failed', 'stopped', 'draining']);

function index(c: ContainerRecord): number {
  return Number(/\.(\d+)$/.exec(c.process ?? 'web.1')?.[1] ?? 1);
}

/** Every process instance of lead's release (not its release phase), web first, then by type and number. */
export function releaseMembers(state: ShipState, lead: ContainerRecord): ContainerRecord[] {
  if (lead.release === undefined) return [lead];
  return Object.values(state.containers)
    .filter((c) => c.serviceId === lead.serviceId && c.release === lead.release && c.process !== 'release' && (c === lead || !ENDED.has(c.state)))
    .sort((a, b) => {
      const ta = typeOf(a.process);
      const tb = typeOf(b.process);
      if (ta !== tb) return ta === 'web' ? -1 : tb === 'web' ? 1 : ta.localeCompare(tb);
      return index(a) - index(b);
    });
}

/** The instances nginx balances: the release's web processes. */
export function webMembers(state: ShipState, lead: ContainerRecord): ContainerRecord[] {
  return releaseMembers(state, lead).filter((c) => typeOf(c.process) === 'web');
}
