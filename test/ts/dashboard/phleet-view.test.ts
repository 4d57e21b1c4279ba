import t from 'tap';
import { PHLEET_LOG_LINES, PhleetView } from '../../../lib/ts/dashboard/phleet-view.js';
import { parseServe } from '../../../lib/ts/cli/commands/dashboard.js';
import type { ShipStatus } from '../../../lib/ts/agent/status.js';

const status = (n: number): ShipStatus => ({ ship: { root: `/r${n}` }, services: [{ path: '/', state: 'online' }] } as unknown as ShipStatus);

t.test('each ship: not asked yet, then its answer; a failure keeps the last status, marked not ok', async (t) => {
  const v = new PhleetView('p', [{ name: 'a', target: 'root@a' }, { name: 'b', target: null }]);
  t.same(v.doc().ships.map((s) => [s.name, s.ok, s.error]), [['a', false, 'not asked yet'], ['b', false, 'not asked yet']]);
  v.answered('a', status(1), [], new Date('2026-12-03T10:00:00Z'));
  v.failed('a', 'no answer within 3 s', new Date('2026-12-03T10:00:05Z'));
  const a = v.doc().ships[0];
  t.equal(a.ok, false);
  t.equal(a.error, 'no answer within 3 s');
  t.equal(a.status?.ship.root, '/r1', 'the last known status stays');
  t.equal(a.checkedAt, '2026-12-03T10:00:05.000Z');
  v.answered('zz', status(2), [], new Date());
  t.equal(v.doc().ships.length, 2, 'an unknown ship is ignored');
});

t.test('merged lines: bounded, the tail in time order', async (t) => {
  const v = new PhleetView('p', []);
  const line = (ship: string, time: string, text: string) => ({ ship, time, service: '/', container: null, source: 'app', stream: 'stdout', line: text }) as never;
  v.line(line('b', '2026-12-03T10:00:02Z', 'second'));
  v.line(line('a', '2026-12-03T10:00:01Z', 'first'));
  t.same(v.tail(10).map((r) => r.line), ['first', 'second']);
  for (let i = 0; i < PHLEET_LOG_LINES + 5; i++) v.line(line('a', '2026-12-03T11:00:00Z', `n${i}`));
  t.equal(v.tail(PHLEET_LOG_LINES * 2).length, PHLEET_LOG_LINES);
});

t.test('--serve [ADDR:]PORT', async (t) => {
  t.same(parseServe('8080'), { host: '127.0.0.1', port: 8080 });
  t.same(parseServe('0.0.0.0:80'), { host: '0.0.0.0', port: 80 });
  t.same(parseServe('[::1]:0'), { host: '::1', port: 0 });
  t.throws(() => parseServe('99999'), /--serve takes \[ADDR:\]PORT/);
  t.throws(() => parseServe('host:'), /--serve takes/);
});
