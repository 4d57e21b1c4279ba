import t from 'tap';
import { crashLoop, CRASH_LOOP_WINDOW_MS, notifyEvent, NotifyLimiter, parseUrlList, redact, urlProblem } from '../../../lib/ts/notify/events.js';
import { Notifier } from '../../../lib/ts/notify/notifier.js';

t.test('an event carries its fields and one summary line for Slack (text) and Discord (content)', async (t) => {
  const e = notifyEvent('deploy.failed', { ship: 's1', service: '/api', commit: 'abcdef1234567890', cause: 'build failed: npm error x' }, new Date('2026-12-02T12:00:00Z'));
  t.same(e, {
    event: 'deploy.failed', ship: 's1', service: '/api', commit: 'abcdef1234567890', cause: 'build failed: npm error x', at: '2026-12-02T12:00:00.000Z',
    text: 'Starphleet: /api on s1 failed to deploy (abcdef123456): build failed: npm error x',
    content: 'Starphleet: /api on s1 failed to deploy (abcdef123456): build failed: npm error x',
  });
  t.equal(notifyEvent('agent.restarted', { ship: 's1' }, new Date()).text, 'Starphleet: ship s1 agent restarted');
});

t.test('a crash loop is the third restart within the window, said once', async (t) => {
  const now = 10 * CRASH_LOOP_WINDOW_MS;
  t.equal(crashLoop([now - 1000, now], now), false);
  t.equal(crashLoop([now - 2000, now - 1000, now], now), true);
  t.equal(crashLoop([now - 3000, now - 2000, now - 1000, now], now), false);
  t.equal(crashLoop([now - CRASH_LOOP_WINDOW_MS - 1, now - 1000, now], now), false);
});

t.test('limits, URL checks and redaction', async (t) => {
  const l = new NotifyLimiter(2, 1000);
  t.same([l.allow('/a', 0), l.allow('/a', 1), l.allow('/a', 2), l.allow('/b', 2), l.allow('/a', 1001)], [true, true, false, true, true]);
  t.same(parseUrlList('https://a/x\n\n https://b/y \n'), ['https://a/x', 'https://b/y']);
  t.equal(urlProblem('https://hooks.slack.com/services/T/B/secret'), null);
  t.match(urlProblem('ftp://x/y'), /only http and https/);
  t.match(urlProblem('not a url'), /is not a URL/);
  t.equal(redact('https://hooks.slack.com/services/T000/B000/abcdEFGH'), 'https://hooks.slack.com/…EFGH');
  t.notMatch(redact('https://discord.com/api/webhooks/1/tok-en?wait=1'), /tok-en/);
});

t.test('the notifier posts to every URL and retries one that fails, never logging a URL whole', async (t) => {
  const posts: Array<{ url: string; body: string }> = [];
  const logs: string[] = [];
  let failFirst = true;
  const n = new Notifier({
    ship: 's1', urls: () => 'https://a.example/tok-a\nhttps://b.example/tok-b', log: (l) => logs.push(l),
    post: async (url, body) => { posts.push({ url, body }); if (url.includes('tok-b') && failFirst) { failFirst = false; return 500; } return 204; },
  });
  t.teardown(() => n.stop());
  n.notify('crash.loop', { service: '/api', cause: 'exited 7' });
  await new Promise((r) => setTimeout(r, 2300));
  t.same(posts.map((p) => p.url).sort(), ['https://a.example/tok-a', 'https://b.example/tok-b', 'https://b.example/tok-b']);
  t.equal(JSON.parse(posts[0].body).event, 'crash.loop');
  t.ok(logs.some((l) => l.includes('answered 500; again in 2 s')));
  t.notOk(logs.some((l) => l.includes('tok-b')));
  // No URLs: nothing is sent.
  const quiet = new Notifier({ ship: 's1', urls: () => null, log: () => undefined, post: async () => { throw new Error('sent'); } });
  quiet.notify('deploy.live', { service: '/api' });
});
