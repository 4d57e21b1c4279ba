import t from 'tap';
import { afterFailure, describeRetry, due } from '../../../lib/ts/core/retry-backoff.js';

t.test('the wait doubles from one pulse up to the cap', async (t) => {
  let r = afterFailure(undefined, 0, 1000, 8000);
  t.equal(r.failures, 1);
  t.equal(r.nextAt, 1000);
  const waits: number[] = [];
  let now = 0;
  r = undefined as never;
  for (let i = 0; i < 6; i++) {
    r = afterFailure(r, now, 1000, 8000);
    waits.push(r.nextAt - now);
    now = r.nextAt;
  }
  t.same(waits, [1000, 2000, 4000, 8000, 8000, 8000]);
  t.equal(r.since, new Date(0).toISOString(), 'since stays the first failure');
});

t.test('due only once the wait has passed', async (t) => {
  const r = afterFailure(undefined, 5000, 10_000);
  t.equal(due(undefined, 0), true);
  t.equal(due(r, 14_999), false);
  t.equal(due(r, 15_000), true);
});

t.test('describeRetry names the count and the next try', async (t) => {
  const r = afterFailure(afterFailure(undefined, 0, 1000), 1000, 1000);
  t.match(describeRetry(r), /^2 failed tries since 1970-01-01T00:00:00.000Z, next try at 1970-01-01T00:00:03.000Z$/);
});
