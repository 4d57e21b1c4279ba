import t from 'tap';
import { formatStatus, statusOf } from '../../../lib/ts/agent/status.js';
import { resolveShipConfig } from '../../../lib/ts/core/config.js';
import { emptyState } from '../../../lib/ts/agent/state.js';

t.test('status document and text', async (t) => {
  const state = emptyState();
  state.hqCommit = 'a'.repeat(40);
  state.services['/api'] = {
    path: '/api', id: 'api-123456', ordersFile: 'api/orders', serving: 'api-123456--bbbbbbbb-1',
    servingCommit: 'b'.repeat(40), commit: 'b'.repeat(40), updatedAt: '',
    orders: { autodeploy: { url: 'file:///r/api.git', ref: 'main' }, port: 3000, healthcheckTimeoutSeconds: 60, env: {}, hash: 'h' },
  };
  state.services['/bad'] = { path: '/bad', id: 'bad-123456', ordersFile: 'bad/orders', ordersError: 'bad/orders: syntax error', updatedAt: '' };
  state.containers['api-123456--bbbbbbbb-1'] = {
    name: 'api-123456--bbbbbbbb-1', servicePath: '/api', serviceId: 'api-123456', commit: 'b'.repeat(40), ordersHash: 'h', base: 'host',
    ip: '10.0.3.2', port: 3000, state: 'online', createdAt: '', restarts: 2,
  };
  const doc = statusOf(state, resolveShipConfig({ root: '/r', headquarters: 'file:///hq' }, {}));
  t.equal(doc.services.length, 2);
  t.has(doc.services[0], {
    path: '/api', state: 'online', repo: 'file:///r/api.git', ref: 'main', commit: 'b'.repeat(40), servingCommit: 'b'.repeat(40), failedCommit: null,
    container: 'api-123456--bbbbbbbb-1', ip: '10.0.3.2', port: 3000, restarts: 2, error: null, retry: null,
  });
  t.equal(doc.services[1].error, 'bad/orders: syntax error');
  const text = formatStatus(doc);
  t.match(text, /^\/api +online +file:\/\/\/r\/api\.git#main@bbbbbbbbbbbb +api-123456--bbbbbbbb-1 +restarts=2$/m);
  t.match(text, /^\/bad +failed .*error: bad\/orders: syntax error$/m);
});

t.test('status with what the live agent knows: health, uptime, memory, every container', async (t) => {
  const state = emptyState();
  state.services['/api'] = {
    path: '/api', id: 'api-123456', ordersFile: 'api/orders', serving: 'api-123456--bbbbbbbb-2',
    servingCommit: 'b'.repeat(40), commit: 'b'.repeat(40), updatedAt: '',
  };
  state.containers['api-123456--aaaaaaaa-1'] = {
    name: 'api-123456--aaaaaaaa-1', servicePath: '/api', serviceId: 'api-123456', commit: 'a'.repeat(40), ordersHash: 'h', base: 'host',
    ip: '10.0.3.2', port: 3000, state: 'draining', createdAt: '2026-11-26T11:00:00.000Z', onlineAt: '2026-11-26T11:00:05.000Z', restarts: 0,
  };
  state.containers['api-123456--bbbbbbbb-2'] = {
    name: 'api-123456--bbbbbbbb-2', servicePath: '/api', serviceId: 'api-123456', commit: 'b'.repeat(40), ordersHash: 'h', base: 'host',
    ip: '10.0.3.3', port: 3000, state: 'online', createdAt: '2026-11-26T11:59:00.000Z', onlineAt: '2026-11-26T11:59:30.000Z',
    restarts: 1, lastRestartAt: '2026-11-26T11:59:50.000Z',
  };
  const health = { checkedAt: '2026-11-26T11:59:58.000Z', ok: true, result: 'http://10.0.3.3:3000/ answered 200' };
  const doc = statusOf(state, resolveShipConfig({ root: '/r' }, {}), {
    health: (n) => (n === 'api-123456--bbbbbbbb-2' ? health : undefined),
    memoryBytes: (n) => (n === 'api-123456--bbbbbbbb-2' ? 25 * 1024 * 1024 : 10 * 1024 * 1024),
    now: Date.parse('2026-11-26T12:00:00.000Z'),
  });
  const s = doc.services[0];
  t.equal(s.uptimeSeconds, 10, 'since the last restart');
  t.equal(s.memoryBytes, 25 * 1024 * 1024);
  t.same(s.health, health);
  t.same(s.containers.map((c) => [c.name, c.state]), [['api-123456--aaaaaaaa-1', 'draining'], ['api-123456--bbbbbbbb-2', 'online']]);
  t.equal(s.containers[0].uptimeSeconds, 3595);
  const text = formatStatus(doc);
  t.match(text, /^\/api +online .* +api-123456--bbbbbbbb-2 +up=10s +mem=25\.0M +health=ok@11:59:58 +restarts=1 +draining=api-123456--aaaaaaaa-1$/m);
});

t.test('a removed service whose container still drains shows as draining', async (t) => {
  const state = emptyState();
  state.containers['gone-123456--cccccccc-3'] = {
    name: 'gone-123456--cccccccc-3', servicePath: '/gone', serviceId: 'gone-123456', commit: 'c'.repeat(40), ordersHash: 'h', base: 'host',
    ip: '10.0.3.4', port: 3000, state: 'draining', createdAt: '', onlineAt: '2026-11-26T11:00:00.000Z', restarts: 0,
  };
  const doc = statusOf(state, resolveShipConfig({ root: '/r' }, {}));
  t.equal(doc.services.length, 1);
  t.has(doc.services[0], { path: '/gone', state: 'draining', container: 'gone-123456--cccccccc-3' });
});

t.test('after a failed change of repo, the text shows the repo of what serves, not the new one with the old commit', async (t) => {
  const state = emptyState();
  state.services['/svc'] = {
    path: '/svc', id: 'svc-123456', ordersFile: 'svc/orders', serving: 'svc-123456--aaaaaaaa-1',
    servingCommit: 'a'.repeat(40), commit: 'c'.repeat(40), failedCommit: 'c'.repeat(40), lastError: 'healthcheck failed', updatedAt: '',
    orders: { autodeploy: { url: 'file:///r/new.git' }, port: 3000, healthcheckTimeoutSeconds: 60, env: {}, hash: 'h2' },
  };
  state.containers['svc-123456--aaaaaaaa-1'] = {
    name: 'svc-123456--aaaaaaaa-1', servicePath: '/svc', serviceId: 'svc-123456', commit: 'a'.repeat(40), ordersHash: 'h1', base: 'host',
    ip: '10.0.3.2', port: 3000, state: 'online', createdAt: '', restarts: 0, repo: 'file:///r/old.git#main',
  };
  const doc = statusOf(state, resolveShipConfig({ root: '/r', headquarters: 'file:///hq' }, {}));
  t.equal(doc.services[0].servingRepo, 'file:///r/old.git#main');
  t.equal(doc.services[0].repo, 'file:///r/new.git', 'the JSON repo is still the ordered one');
  const text = formatStatus(doc);
  t.match(text, /^\/svc +online +file:\/\/\/r\/old\.git#main@aaaaaaaaaaaa +svc-123456--aaaaaaaa-1 .*failed=cccccccccccc/m);
  t.notMatch(text, /new\.git@aaaa/);
});

t.test('a crash stays in status while the container restarts and for a healthy minute after', async (t) => {
  const state = emptyState();
  state.services['/api'] = { path: '/api', id: 'api-1', ordersFile: 'api/orders', serving: 'api-1--c-1', updatedAt: '' };
  const c = {
    name: 'api-1--c-1', servicePath: '/api', serviceId: 'api-1', commit: 'c'.repeat(40), ordersHash: 'h', base: 'host',
    ip: '10.0.3.2', port: 3000, state: 'restarting' as const, createdAt: '', restarts: 1, crash: 'api-1--c-1 exited with status 7',
  };
  state.containers[c.name] = { ...c };
  const config = resolveShipConfig({ root: '/r', headquarters: 'file:///hq' }, {});
  const now = Date.parse('2026-12-02T12:00:00.000Z');
  const live = { health: () => undefined, memoryBytes: () => null, now };
  let doc = statusOf(state, config, live);
  t.equal(doc.services[0].state, 'restarting');
  t.match(doc.services[0].error, /^api-1--c-1 exited with status 7/);
  state.containers[c.name] = { ...c, state: 'online', recoveredAt: '2026-12-02T11:59:30.000Z' };
  doc = statusOf(state, config, live);
  t.equal(doc.services[0].state, 'online');
  t.match(doc.services[0].error, /answering again since 2026-12-02T11:59:30.000Z/);
  state.containers[c.name] = { ...c, state: 'online', recoveredAt: '2026-12-02T11:58:00.000Z' };
  t.equal(statusOf(state, config, live).services[0].error, null, 'gone after a healthy minute');
});
