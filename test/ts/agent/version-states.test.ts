import t from 'tap';
import {
  advance, nextState, serviceStateOf, TRANSITIONS, TransitionError, type VersionEvent, type VersionState,
} from '../../../lib/ts/agent/version-states.js';

const STATES = Object.keys(TRANSITIONS) as VersionState[];
const EVENTS: VersionEvent[] = ['build', 'built', 'started', 'live', 'fail', 'crash', 'recovered', 'drain', 'stop'];

t.test('every allowed transition of the table, and the path of a deploy', async (t) => {
  const expected: Array<[VersionState, VersionEvent, VersionState]> = [
    ['queued', 'build', 'building'], ['queued', 'built', 'starting'], ['queued', 'fail', 'failed'], ['queued', 'stop', 'stopped'],
    ['building', 'built', 'starting'], ['building', 'fail', 'failed'], ['building', 'stop', 'stopped'],
    ['starting', 'started', 'checking'], ['starting', 'fail', 'failed'], ['starting', 'stop', 'stopped'],
    ['checking', 'live', 'online'], ['checking', 'fail', 'failed'], ['checking', 'stop', 'stopped'],
    ['online', 'crash', 'restarting'], ['online', 'drain', 'draining'], ['online', 'stop', 'stopped'],
    ['restarting', 'crash', 'restarting'], ['restarting', 'recovered', 'online'], ['restarting', 'drain', 'draining'], ['restarting', 'stop', 'stopped'],
    ['draining', 'stop', 'stopped'],
    ['failed', 'stop', 'stopped'],
  ];
  for (const [from, event, to] of expected) t.equal(nextState(from, event), to, `${from} --${event}--> ${to}`);
  // Nothing else is allowed: the table has exactly these moves.
  let allowed = 0;
  for (const from of STATES) for (const event of EVENTS) if (TRANSITIONS[from][event]) allowed += 1;
  t.equal(allowed, expected.length, 'the table allows no move beyond the list');
  const v = { state: 'queued' as VersionState };
  for (const e of ['build', 'built', 'started', 'live', 'crash', 'recovered', 'drain', 'stop'] as VersionEvent[]) advance(v, e);
  t.equal(v.state, 'stopped', 'a version goes from queued to stopped by its events');
});

t.test('a move the table does not allow throws, naming it, and leaves the state as it was', async (t) => {
  t.throws(() => nextState('online', 'live'), { name: 'TransitionError' });
  t.ok(catchError(() => nextState('online', 'live')) instanceof TransitionError);
  t.throws(() => nextState('stopped', 'stop'), /a version that is stopped cannot take 'stop'/);
  t.throws(() => nextState('failed', 'recovered'), /failed cannot take 'recovered'/);
  const v = { state: 'draining' as VersionState };
  t.throws(() => advance(v, 'crash'));
  t.equal(v.state, 'draining');
});

t.test('a service is derived from its versions', async (t) => {
  t.equal(serviceStateOf({ blocked: false }), 'pending');
  t.equal(serviceStateOf({ blocked: true }), 'failed');
  t.equal(serviceStateOf({ deploying: { state: 'queued' }, blocked: true }), 'queued');
  t.equal(serviceStateOf({ serving: { state: 'online' }, deploying: { state: 'building' }, blocked: false }), 'building');
  t.equal(serviceStateOf({ serving: { state: 'online' }, deploying: { state: 'failed' }, blocked: true }), 'online', 'a failed new version leaves the service online');
  t.equal(serviceStateOf({ serving: { state: 'restarting' }, blocked: false }), 'restarting');
  t.equal(serviceStateOf({ serving: { state: 'failed' }, blocked: true }), 'failed');
});

function catchError(fn: () => unknown): unknown {
  try { fn(); } catch (err) { return err; }
  return null;
}
