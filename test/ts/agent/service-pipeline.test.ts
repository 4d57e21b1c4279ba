// The per-service pipeline and healing with fake git, orders, build and
// containers: one service whose git never answers holds up neither another
// service's deploy nor any restart.
import t from 'tap';
import { Healer, type HealDeps } from '../../../lib/ts/agent/heal.js';
import { ServicePipeline, type PipelineSteps } from '../../../lib/ts/agent/service-pipeline.js';
import type { ContainerRecord, ServiceRecord } from '../../../lib/ts/agent/state.js';
import { advance } from '../../../lib/ts/agent/version-states.js';
import type { Orders } from '../../../lib/ts/hq/orders.js';
import { OrdersTimedOut } from '../../../lib/ts/hq/orders-timed-out.js';

const orders = (url: string): Orders => ({ autodeploy: { url }, port: 3000, healthcheckTimeoutSeconds: 60, env: {}, hash: 'h' });
const service = (path: string): ServiceRecord => ({ path, id: path.slice(1), ordersFile: `${path.slice(1)}/orders`, updatedAt: '' });
const found = (path: string) => ({ path, ordersFile: `/hq${path}/orders`, ordersRel: `${path.slice(1)}/orders` });

function fakeSteps(stalled: Set<string>, deployed: string[], log: string[]): PipelineSteps {
  return {
    readOrders: async (s) => orders(`file:///repos${s.path}.git`),
    // A git host that accepts and never answers: this promise never settles.
    fetch: (s) => (stalled.has(s.path) ? new Promise<string>(() => undefined) : Promise.resolve('c'.repeat(40))),
    explainFetch: async (err) => err.message,
    rolloutVersion: () => 0,
    servingKey: () => undefined,
    deploy: async (s, _o, commit, version) => {
      advance(version, 'build');
      deployed.push(`${s.path}@${commit.slice(0, 4)}`);
    },
    log: (s, m) => log.push(`${s.path} ${m}`),
    save: () => undefined,
    pulseMs: () => 1000,
  };
}

const until = async (cond: () => boolean, ms = 2000): Promise<boolean> => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  return cond();
};

t.test('a stalled fetch holds up only its own service', async (t) => {
  const deployed: string[] = [];
  const log: string[] = [];
  const steps = fakeSteps(new Set(['/stuck']), deployed, log);
  const stuck = new ServicePipeline(service('/stuck'), steps);
  const ok = new ServicePipeline(service('/ok'), steps);
  stuck.setOrders(found('/stuck'), 'hq1');
  ok.setOrders(found('/ok'), 'hq1');
  stuck.kick();
  ok.kick();
  t.ok(await until(() => deployed.includes('/ok@cccc')), 'the healthy service deployed while the other waits on git');
  t.equal(stuck.step?.name, 'fetch', 'the stalled one shows its step');
  t.ok(stuck.step && Date.now() - stuck.step.since >= 0, 'with the time it started');
  // Kicking the stalled one again never blocks the caller.
  const before = Date.now();
  stuck.kick();
  t.ok(Date.now() - before < 50, 'kick returns at once');
  let polled = false;
  void ok.polled().then(() => { polled = true; });
  t.ok(await until(() => polled), 'the healthy pipeline reports its polls done');
});

t.test('a failed deploy is not retried until forgiven (a nudge), then it is', async (t) => {
  const deployed: string[] = [];
  const steps = fakeSteps(new Set(), deployed, []);
  steps.deploy = async (s, _o, _c, version) => {
    deployed.push(s.path);
    s.failedKey = version.key;
    advance(version, 'fail');
  };
  const p = new ServicePipeline(service('/a'), steps);
  p.setOrders(found('/a'), 'hq1');
  p.kick();
  t.ok(await until(() => deployed.length === 1));
  p.kick();
  await p.polled();
  await new Promise((r) => setTimeout(r, 20));
  t.equal(deployed.length, 1, 'the same failed version is not deployed again');
  p.forgive();
  p.kick();
  t.ok(await until(() => deployed.length === 2), 'after forgive it is');
});

t.test('orders that fail to read are the service error; its fetch is not tried', async (t) => {
  const deployed: string[] = [];
  const steps = fakeSteps(new Set(), deployed, []);
  let fetched = 0;
  steps.readOrders = async () => { throw new Error('ran longer than 10 s'); };
  steps.fetch = async () => { fetched += 1; return 'c'.repeat(40); };
  const s = service('/bad');
  const p = new ServicePipeline(s, steps);
  p.setOrders(found('/bad'), 'hq1');
  p.kick();
  await until(() => s.ordersError !== undefined);
  await p.polled();
  t.equal(s.ordersError, 'bad/orders: ran longer than 10 s');
  t.equal(fetched, 0);
  t.same(deployed, []);
});

t.test('orders that ran out of time are read again after a backoff, and then deploy; a syntax error waits for a new HQ commit', async (t) => {
  const deployed: string[] = [];
  const log: string[] = [];
  const steps = fakeSteps(new Set(), deployed, log);
  steps.pulseMs = () => 30; // the first retry one pulse on
  let reads = 0;
  steps.readOrders = async (s) => {
    reads += 1;
    if (reads === 1) throw new OrdersTimedOut('ran longer than 10 s (stopped, with everything it started)');
    return orders(`file:///repos${s.path}.git`);
  };
  const s = service('/slow');
  const p = new ServicePipeline(s, steps);
  p.setOrders(found('/slow'), 'hq1');
  p.kick();
  await until(() => s.ordersError !== undefined);
  t.equal(s.ordersError, 'slow/orders: ran longer than 10 s (stopped, with everything it started); read again with backoff');
  p.kick();
  await p.polled();
  t.equal(reads, 1, 'not again before the backoff is over');
  await new Promise((r) => setTimeout(r, 40));
  p.kick();
  t.ok(await until(() => deployed.includes('/slow@cccc')), 'read again after the backoff, then deployed');
  t.equal(reads, 2);
  t.equal(s.ordersError, undefined);
  t.ok(log.includes('/slow slow/orders reads cleanly again'));

  // A syntax error is not a deadline: the same HQ commit is not read again.
  const bad = service('/bad');
  let badReads = 0;
  const steps2 = fakeSteps(new Set(), [], []);
  steps2.pulseMs = () => 1;
  steps2.readOrders = async () => { badReads += 1; throw new Error('line 2: syntax error'); };
  const q = new ServicePipeline(bad, steps2);
  q.setOrders(found('/bad'), 'hq1');
  q.kick();
  await until(() => bad.ordersError !== undefined);
  await new Promise((r) => setTimeout(r, 10));
  q.kick();
  await q.polled();
  t.equal(badReads, 1, 'the same commit is not read again');
  q.setOrders(found('/bad'), 'hq2');
  q.kick();
  t.ok(await until(() => badReads === 2), 'a new HQ commit is');
});

function container(name: string): ContainerRecord {
  return {
    name, servicePath: '/web', serviceId: 'web', commit: 'c'.repeat(40), ordersHash: 'h', base: 'host', ip: '10.0.0.2', port: 3000,
    state: 'online', createdAt: '', restarts: 0, healthUrl: 'http://10.0.0.2:3000/',
  };
}

t.test('healing restarts a crashed container while another service stalls on git, and it comes back online', async (t) => {
  // A pipeline stalled on git, as above, runs alongside.
  const stuck = new ServicePipeline(service('/stuck'), fakeSteps(new Set(['/stuck']), [], []));
  stuck.setOrders(found('/stuck'), 'hq1');
  stuck.kick();
  const c = container('web-1');
  let alive = false; // it has crashed
  const restarts: string[] = [];
  const deps: HealDeps = {
    serving: () => (c.state === 'online' || c.state === 'restarting' ? [c] : []),
    exited: () => (alive ? null : 137),
    probe: async () => ({ ok: alive, status: alive ? 200 : undefined, error: alive ? undefined : 'ECONNREFUSED' }),
    describeProbe: (_c, r) => (r.ok ? '200' : String(r.error)),
    describeExit: (_c, code) => `exited with status ${code}`,
    restart: async (x) => { restarts.push(x.name); alive = true; },
    settings: () => ({ pulseMs: 10_000, retries: 3, timeoutMs: 60_000 }),
    noteHealth: () => undefined,
    report: () => undefined,
    save: () => undefined,
  };
  const healer = new Healer(deps);
  await healer.tick();
  t.equal(c.state, 'restarting', 'an exit is seen at the first look');
  t.equal(stuck.step?.name, 'fetch', 'the other service is still stalled');
  // The first restart is due after 1 s.
  await new Promise((r) => setTimeout(r, 1050));
  await healer.tick();
  t.ok(await until(() => restarts.length === 1), 'restarted within the backoff');
  await healer.tick();
  t.equal(c.state, 'online', 'answering again, it is online');
  t.equal(c.restarts, 1);
});

t.test('a restart that cannot start (secrets unreadable) is reported and tried again, never started without them', async (t) => {
  const c = container('web-2');
  const reports: string[] = [];
  let tries = 0;
  const deps: HealDeps = {
    serving: () => [c],
    exited: () => 137,
    probe: async () => ({ ok: false, error: 'ECONNREFUSED' }),
    describeProbe: () => 'refused',
    describeExit: () => 'was killed',
    restart: async () => { tries += 1; throw new Error('its phleet secrets cannot be read: /r/secrets/set.json: unreadable'); },
    settings: () => ({ pulseMs: 10_000, retries: 3, timeoutMs: 60_000 }),
    noteHealth: () => undefined,
    report: (_c, m) => reports.push(m),
    save: () => undefined,
  };
  const healer = new Healer(deps);
  await healer.tick();
  await new Promise((r) => setTimeout(r, 1050));
  await healer.tick();
  t.ok(await until(() => tries === 1));
  t.equal(c.state, 'restarting', 'not online');
  t.ok(reports.some((m) => /not restarted: its phleet secrets cannot be read: \/r\/secrets\/set.json/.test(m)), 'the report names the file');
});
