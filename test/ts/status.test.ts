import t from 'tap';
import { formatStatus, statusOf } from '../../lib/ts/status.js';
import { resolveShipConfig } from '../../lib/ts/config.js';
import { emptyState } from '../../lib/ts/state.js';

t.test('status document and text', async (t) => {
  const state = emptyState();
  state.hqCommit = 'a'.repeat(40);
  state.services['/api'] = {
    path: '/api', id: 'api-123456', ordersFile: 'api/orders', state: 'online', serving: 'api-123456--bbbbbbbb-1',
    servingCommit: 'b'.repeat(40), commit: 'b'.repeat(40), updatedAt: '',
    orders: { autodeploy: { url: 'file:///r/api.git', ref: 'main' }, port: 3000, healthcheckTimeoutSeconds: 60, env: {}, hash: 'h' },
  };
  state.services['/bad'] = { path: '/bad', id: 'bad-123456', ordersFile: 'bad/orders', state: 'failed', ordersError: 'bad/orders: syntax error', updatedAt: '' };
  state.containers['api-123456--bbbbbbbb-1'] = {
    name: 'api-123456--bbbbbbbb-1', servicePath: '/api', serviceId: 'api-123456', commit: 'b'.repeat(40), ordersHash: 'h', base: 'host',
    ip: '10.0.3.2', port: 3000, state: 'online', createdAt: '', restarts: 2,
  };
  const doc = statusOf(state, resolveShipConfig({ root: '/r', headquarters: 'file:///hq' }, {}));
  t.equal(doc.services.length, 2);
  t.same(doc.services[0], {
    path: '/api', state: 'online', repo: 'file:///r/api.git', ref: 'main', commit: 'b'.repeat(40), servingCommit: 'b'.repeat(40), failedCommit: null,
    container: 'api-123456--bbbbbbbb-1', ip: '10.0.3.2', port: 3000, restarts: 2, error: null, retry: null,
  });
  t.equal(doc.services[1].error, 'bad/orders: syntax error');
  const text = formatStatus(doc);
  t.match(text, /^\/api +online +file:\/\/\/r\/api\.git#main@bbbbbbbbbbbb +api-123456--bbbbbbbb-1 +restarts=2$/m);
  t.match(text, /^\/bad +failed .*error: bad\/orders: syntax error$/m);
});
