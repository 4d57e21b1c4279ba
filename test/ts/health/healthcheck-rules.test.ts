import t from 'tap';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { healthy, Persisting, probe, waitHealthy } from '../../../lib/ts/health/healthcheck.js';

t.test('a configured healthcheck needs 200; without one any answer below 500 will do', async (t) => {
  t.equal(healthy(200, '200'), true);
  t.equal(healthy(404, '200'), false);
  t.equal(healthy(404, 'below-500'), true, 'an API with no route at /');
  t.equal(healthy(302, 'below-500'), true);
  t.equal(healthy(500, 'below-500'), false);
  t.equal(healthy(undefined, 'below-500'), false, 'no answer is never healthy');
});

t.test('probe and the gate use the rule, against a real server answering 404', async (t) => {
  const server: Server = createServer((_req, res) => { res.writeHead(404); res.end('no route'); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  t.equal((await probe(url, 1000, '200')).ok, false);
  t.equal((await probe(url, 1000, 'below-500')).ok, true);
  await waitHealthy(url, { timeoutSeconds: 2, rule: 'below-500' });
  await t.rejects(waitHealthy(url, { timeoutSeconds: 1, rule: '200' }), /healthcheck failed after 1 s: .* answered 404: no route/);
});

t.test('the same misplaced-listener answer held long enough ends the gate early', async (t) => {
  const p = new Persisting();
  t.equal(p.see('on 127.0.0.1', 0, 6000), null);
  t.equal(p.see('on 127.0.0.1', 4000, 6000), null);
  t.equal(p.see('on 127.0.0.1', 6000, 6000), 'on 127.0.0.1');
  t.equal(p.see(null, 7000, 6000), null, 'gone: starts over');
  t.equal(p.see('on port 8080', 8000, 6000), null);
  // A refused port (nothing listens on it) with a settled hint fails within seconds, not at the deadline.
  const server: Server = createServer(() => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  const started = Date.now();
  await t.rejects(waitHealthy(`http://127.0.0.1:${port}/`, {
    timeoutSeconds: 30, misplacedSeconds: 1, misplaced: async () => 'the app listens on port 8080, not on PORT=3000',
  }), /healthcheck refused: the app listens on port 8080, not on PORT=3000/);
  t.ok(Date.now() - started < 10000, `failed after ${Date.now() - started} ms`);
});

t.test('a slow misplaced-listener lookup never delays the probe that finds the app', async (t) => {
  // The port refuses for 1.5 s (the app is starting), then answers; the lookup takes 3 s.
  const probeServer: Server = createServer(() => undefined);
  await new Promise<void>((r) => probeServer.listen(0, '127.0.0.1', r));
  const port = (probeServer.address() as AddressInfo).port;
  await new Promise<void>((r) => probeServer.close(() => r()));
  const app: Server = createServer((_req, res) => res.end('ok'));
  setTimeout(() => app.listen(port, '127.0.0.1'), 1500);
  let lookups = 0;
  const started = Date.now();
  await waitHealthy(`http://127.0.0.1:${port}/`, {
    timeoutSeconds: 10, misplaced: () => { lookups += 1; return new Promise((r) => setTimeout(() => r('on 127.0.0.1'), 3000)); },
  });
  const took = Date.now() - started;
  await new Promise<void>((r) => app.close(() => r()));
  t.equal(lookups, 1, 'one lookup began once refusals had lasted a second');
  t.ok(took < 2500, `live ${took} ms after the gate opened (the app listened at 1500 ms)`);
});
