// The life of a service version (one commit + orders + secrets rollout, run
// as one container): the only place that says which state may follow which.
// Every state change goes through `advance`; a move the table does not allow
// is a bug and throws. A service's own state (what `status` shows) is derived
// from its versions by `serviceStateOf`, never stored beside them.
//
// A release of the process model (slug + config + number) will run one or
// more processes, each a version in this table: the table stays, the owner of
// the versions grows.

export type VersionState =
  | 'queued'      // waiting for a build slot
  | 'building'    // its slug is being built
  | 'starting'    // container created, supervisor starting it
  | 'checking'    // waiting for its first healthy answer
  | 'online'      // nginx routes to it, it answers
  | 'restarting'  // it exited or stopped answering; a restart is due or running
  | 'draining'    // no longer routed; finishing what it serves
  | 'stopped'     // stopped and removed: its record goes
  | 'failed';     // never went live (kept for inspection)

export type VersionEvent =
  | 'build'       // queued → building (a slot was free)
  | 'built'       // building|queued → starting (the slug exists: container made)
  | 'requeue'     // building → queued (its pack needs another base: it waits for that base and a slot)
  | 'started'     // starting → checking
  | 'live'        // checking → online (nginx switched to it)
  | 'fail'        // before online → failed
  | 'crash'       // online|restarting → restarting (exit, or unhealthy)
  | 'recovered'   // restarting → online (answers its healthcheck again)
  | 'drain'       // online|restarting → draining (a newer version took over, or its service went)
  | 'stop';       // any but stopped → stopped (drained, removed, interrupted)

export const TRANSITIONS: Readonly<Record<VersionState, Partial<Record<VersionEvent, VersionState>>>> = {
  queued: { build: 'building', built: 'starting', fail: 'failed', stop: 'stopped' },
  building: { built: 'starting', requeue: 'queued', fail: 'failed', stop: 'stopped' },
  starting: { started: 'checking', fail: 'failed', stop: 'stopped' },
  checking: { live: 'online', fail: 'failed', stop: 'stopped' },
  online: { crash: 'restarting', drain: 'draining', stop: 'stopped' },
  restarting: { crash: 'restarting', recovered: 'online', drain: 'draining', stop: 'stopped' },
  draining: { stop: 'stopped' },
  failed: { stop: 'stopped' },
  stopped: {},
};

export class TransitionError extends Error {
  override name = 'TransitionError';
}

/** The state after `event`, or a TransitionError naming the move. */
export function nextState(from: VersionState, event: VersionEvent): VersionState {
  const to = TRANSITIONS[from]?.[event];
  if (!to) throw new TransitionError(`a version that is ${from} cannot take '${event}'`);
  return to;
}

/** Move a version (anything with a `state`) by an event: the one writer of version states. */
export function advance<T extends { state: VersionState }>(version: T, event: VersionEvent): T {
  version.state = nextState(version.state, event);
  return version;
}

/** What `status` calls a service as a whole. */
export type ServiceState = 'pending' | 'queued' | 'building' | 'starting' | 'checking' | 'online' | 'restarting' | 'failed';

export interface ServiceFacts {
  /** The version nginx routes to, if any. */
  serving?: { state: VersionState };
  /** The version being deployed now, if any (queued … checking). */
  deploying?: { state: VersionState };
  /** Something stands in the way of a first version: a failed deploy, bad orders, an unreachable repo. */
  blocked: boolean;
}

/**
 * A service is what its newest version in flight is (queued, building,
 * starting, checking), else what its serving version is (online, restarting),
 * else failed when something blocks it, else pending.
 */
export function serviceStateOf(f: ServiceFacts): ServiceState {
  const d = f.deploying?.state;
  if (d === 'queued' || d === 'building' || d === 'starting' || d === 'checking') return d;
  const s = f.serving?.state;
  if (s === 'online' || s === 'restarting') return s;
  if (s === 'draining') return 'online'; // a removed service's last version, still finishing
  return f.blocked ? 'failed' : 'pending';
}
