import t from 'tap';
import { BUCKETS, parseAccessLine, POINTS, quantile, renderPrometheus, ServiceMetrics } from '../../../lib/ts/metrics/aggregate.js';
import { formatTop, metricsView } from '../../../lib/ts/metrics/view.js';

t.test('the front door line, after its syslog header; anything else is not counted', async (t) => {
  t.same(parseAccessLine('<190>Dec  2 23:15:35 starphleet: /api 503 0.012 345'), { service: '/api', status: 503, seconds: 0.012, bytes: 345 });
  t.same(parseAccessLine('/ 200 0.000 10'), { service: '/', status: 200, seconds: 0, bytes: 10 });
  t.equal(parseAccessLine('<190>Dec  2 starphleet: api 200 0.1 1'), null);
  t.equal(parseAccessLine('<190>Dec  2 starphleet: /api 200 0.1 1 extra'), null);
});

t.test('counts by class, a histogram, quantiles at bucket bounds, and bounded 10 s points', async (t) => {
  const m = new ServiceMetrics();
  for (let i = 0; i < 90; i++) m.record({ service: '/a', status: 200, seconds: 0.004, bytes: 10 });
  for (let i = 0; i < 10; i++) m.record({ service: '/a', status: 502, seconds: 0.3, bytes: 5 });
  m.record({ service: '/a', status: 404, seconds: 20, bytes: 1 });
  t.same(m.classes, { '1xx': 0, '2xx': 90, '3xx': 0, '4xx': 1, '5xx': 10 });
  t.equal(m.count, 101);
  t.equal(m.bytes, 90 * 10 + 50 + 1);
  t.same(m.summary(), { p50Seconds: 0.005, p95Seconds: 0.5, p99Seconds: 0.5 });
  t.equal(quantile(new Array(BUCKETS.length).fill(0), 0, 0.5), null);
  m.tick(new Date('2026-12-02T12:00:10Z'), { container: 'c1', memoryBytes: 1234, cpuSeconds: 5, restarts: 3 });
  t.same(m.points[0], { at: '2026-12-02T12:00:10.000Z', requests: 101, errors: 10, p95Seconds: 0.5, memoryBytes: 1234, cpuPercent: null, restarts: 0, openStreams: null }, 'no CPU figure or restarts before a second reading');
  m.tick(new Date('2026-12-02T12:00:20Z'), { container: 'c1', memoryBytes: 2048, cpuSeconds: 7.5, restarts: 5 });
  t.equal(m.points[1].openStreams, null);
  t.same(m.points[1], { at: '2026-12-02T12:00:20.000Z', requests: 0, errors: 0, p95Seconds: null, memoryBytes: 2048, cpuPercent: 25, restarts: 2, openStreams: null }, '2.5 CPU seconds in 10 s: 25% of a core; 2 restarts in it');
  m.tick(new Date('2026-12-02T12:00:30Z'), { container: 'c2', memoryBytes: 100, cpuSeconds: 0.2, restarts: 0 });
  t.equal(m.points[2].cpuPercent, null, 'a new container starts its own CPU count');
  t.equal(m.points[2].restarts, 0, 'a count that went down (a container gone) is no restart');
  m.tick(new Date('2026-12-02T12:00:40Z'), null);
  t.same(m.points[3], { at: '2026-12-02T12:00:40.000Z', requests: 0, errors: 0, p95Seconds: null, memoryBytes: null, cpuPercent: null, restarts: 0, openStreams: null });
  for (let i = 0; i < POINTS + 10; i++) m.tick(new Date(), null);
  t.equal(m.points.length, POINTS);
});

t.test('Prometheus text: counters, a cumulative histogram, bytes and memory', async (t) => {
  const m = new ServiceMetrics();
  m.record({ service: '/a', status: 200, seconds: 0.02, bytes: 7 });
  m.record({ service: '/a', status: 500, seconds: 3, bytes: 2 });
  const text = renderPrometheus(new Map([['/a', m]]), () => ({ container: 'c', memoryBytes: 4096, cpuSeconds: 1.25, restarts: 0, openStreams: 3 }));
  t.match(text, /^starphleet_http_open_streams\{service="\/a"\} 3$/m);
  t.match(text, /^# TYPE starphleet_http_requests_total counter$/m);
  t.match(text, /^starphleet_http_requests_total\{service="\/a",class="2xx"\} 1$/m);
  t.match(text, /^starphleet_http_requests_total\{service="\/a",class="5xx"\} 1$/m);
  t.match(text, /^starphleet_http_request_duration_seconds_bucket\{service="\/a",le="0.025"\} 1$/m);
  t.match(text, /^starphleet_http_request_duration_seconds_bucket\{service="\/a",le="5"\} 2$/m);
  t.match(text, /^starphleet_http_request_duration_seconds_bucket\{service="\/a",le="\+Inf"\} 2$/m);
  t.match(text, /^starphleet_http_request_duration_seconds_count\{service="\/a"\} 2$/m);
  t.match(text, /^starphleet_http_response_bytes_total\{service="\/a"\} 9$/m);
  t.match(text, /^starphleet_container_memory_bytes\{service="\/a"\} 4096$/m);
  t.match(text, /^# TYPE starphleet_container_cpu_seconds_total counter$/m);
  t.match(text, /^starphleet_container_cpu_seconds_total\{service="\/a"\} 1.25$/m);
  const view = metricsView(new Map([['/a', m]]), ['/a', '/b'], () => null, false);
  t.same(view.map((v) => [v.path, v.total]), [['/a', 2], ['/b', 0]]);
  t.match(formatTop(view).split('\n')[0], /^SERVICE\s+REQ\/S\s+5XX\/S\s+TOTAL/);
});
