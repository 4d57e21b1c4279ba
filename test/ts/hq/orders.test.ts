import t from 'tap';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appBaseOf, ordersFromEnv, parseEnv0, readOrders, stripsPrefix } from '../../../lib/ts/hq/orders.js';
import { slugKey } from '../../../lib/ts/build/build.js';

const sh = join(import.meta.dirname, '..', '..', '..', 'lib', 'sh', 'host');
const dir = mkdtempSync(join(tmpdir(), 'orders-test-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
function ordersFile(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

t.test('parseEnv0 splits NUL records and keeps = inside values', async (t) => {
  t.same(parseEnv0('A=1\0B=x=y\0C=line\nbreak\0'), { A: '1', B: 'x=y', C: 'line\nbreak' });
});

t.test('ordersFromEnv: autodeploy, PORT default, HEALTHCHECK, baseline removed', async (t) => {
  const o = ordersFromEnv({ PATH: '/bin', PWD: '/x', STARPHLEET_AUTODEPLOY: 'https://example.invalid/a.git#v1', HEALTHCHECK: 'health' });
  t.same(o.autodeploy, { url: 'https://example.invalid/a.git', ref: 'v1' });
  t.equal(o.port, 3000);
  t.equal(o.healthcheck, '/health');
  t.equal(o.healthcheckTimeoutSeconds, 60);
  t.notOk('PATH' in o.env);
  t.throws(() => ordersFromEnv({}), /no autodeploy/);
  t.throws(() => ordersFromEnv({ STARPHLEET_AUTODEPLOY: 'x', PORT: 'abc' }), /PORT must be a number/);
  const again = ordersFromEnv({ STARPHLEET_AUTODEPLOY: 'https://example.invalid/a.git#v1', HEALTHCHECK: 'health' });
  t.equal(o.hash, again.hash, 'same orders, same hash');
  t.not(o.hash, ordersFromEnv({ STARPHLEET_AUTODEPLOY: 'https://example.invalid/a.git#v2' }).hash);
});

t.test('readOrders runs the real orders-read: exports and autodeploy captured', async (t) => {
  const f = ordersFile('good', 'export PORT=4000\nexport GREETING="hello world"\nLOCAL=1\nautodeploy file:///srv/a.git#main\n');
  const o = await readOrders(f, sh);
  t.equal(o.port, 4000);
  t.equal(o.env.GREETING, 'hello world');
  t.notOk('LOCAL' in o.env, 'unexported variables are not part of the environment');
  t.same(o.autodeploy, { url: 'file:///srv/a.git', ref: 'main' });
});

t.test('readOrders: broken orders give a one-line reason', async (t) => {
  await t.rejects(readOrders(ordersFile('syntax', 'export PORT=1\nif then\n'), sh), /syntax error/);
  await t.rejects(readOrders(ordersFile('fails', 'autodeploy file:///a.git\nfalse\nexit 3\n'), sh), /exited with status 3/);
  await t.rejects(readOrders(ordersFile('none', 'export PORT=3000\n'), sh), /no autodeploy/);
  await t.rejects(readOrders(ordersFile('twice', 'autodeploy file:///a.git\nautodeploy file:///b.git\n'), sh),
    /autodeploy is called twice \(file:\/\/\/a\.git, then file:\/\/\/b\.git\)/);
  // A bad call stops the reading even when later lines succeed.
  await t.rejects(readOrders(ordersFile('noarg', 'autodeploy\nexport PORT=3000\nautodeploy file:///a.git\n'), sh),
    /autodeploy needs exactly one git URL \(got 0\)/);
  await t.rejects(readOrders(ordersFile('slow', 'sleep 30\n'), sh), /ran longer than 10 s/);
});

t.test('readOrders: what an orders file prints is not taken for exports (a changing echo must not change the hash)', async (t) => {
  const text = (n: number): string => `echo "deploying, read number ${n}"\nprintf 'no newline: X=1'\nexport PORT=3000 GREETING=hi\nautodeploy file:///a.git\n`;
  const a = await readOrders(ordersFile('echo-a', text(1)), sh);
  const b = await readOrders(ordersFile('echo-b', text(2)), sh);
  t.same([a.env.PORT, a.env.GREETING], ['3000', 'hi']);
  t.same(Object.keys(a.env).filter((k) => /deploying|newline/.test(k)), [], 'no printed text in a variable name');
  t.equal(a.hash, b.hash, 'the same exports give the same hash whatever was printed');
});

t.test('readOrders: an orders file saved with Windows line endings says so (not "PORT must be a number, got \'3000\'")', async (t) => {
  await t.rejects(readOrders(ordersFile('crlf', 'export PORT=3000\r\nautodeploy file:///a.git\r\n'), sh), /Windows \(CRLF\) line endings/);
});

t.test('STRIP_PREFIX: true by default, false/0/no/off keep the full path, anything else is an orders error', async (t) => {
  t.equal(stripsPrefix(undefined), true);
  t.equal(stripsPrefix({}), true);
  t.equal(stripsPrefix({ STRIP_PREFIX: 'true' }), true);
  for (const v of ['false', 'FALSE', '0', 'no', 'off']) t.equal(stripsPrefix({ STRIP_PREFIX: v }), false, v);
  const base = { STARPHLEET_AUTODEPLOY: 'https://example.com/app.git' };
  t.equal(ordersFromEnv({ ...base, STRIP_PREFIX: 'false' }).env.STRIP_PREFIX, 'false');
  t.throws(() => ordersFromEnv({ ...base, STRIP_PREFIX: 'maybe' }), /STRIP_PREFIX must be true or false, got 'maybe'/);
});

t.test('APP_BASE: a plain relative folder of the repo, else an orders error', async (t) => {
  t.equal(appBaseOf({ APP_BASE: 'apps/web' }), 'apps/web');
  t.equal(appBaseOf({ APP_BASE: './apps/web/' }), 'apps/web');
  t.equal(appBaseOf({ APP_BASE: '' }), '');
  t.equal(appBaseOf({}), '');
  t.equal(appBaseOf({ APP_BASE: '.' }), '');
  for (const bad of ['../x', 'apps/../../etc', '/abs', 'a b', 'apps//web', '.git']) t.equal(appBaseOf({ APP_BASE: bad }), null, bad);
  await t.rejects(readOrders(ordersFile('appbase', 'export APP_BASE=../up\nautodeploy file:///a.git\n'), sh), /APP_BASE must be a folder of the repo, relative, without '\.\.' \(like apps\/web\), got '\.\.\/up'/);
  t.equal(slugKey('a'.repeat(40), ''), 'a'.repeat(40), 'no folder: the commit');
  t.match(slugKey('a'.repeat(40), 'apps/web'), /^a{40}-[0-9a-f]{8}$/);
  t.not(slugKey('a'.repeat(40), 'apps/web'), slugKey('a'.repeat(40), 'apps/api'), 'another folder, another slug');
});

t.test('readOrders in a sandbox: run as nobody from a copy only nobody\'s group can read', { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
  const snapshot = join(dir, 'snapshot');
  mkdirSync(join(snapshot, 'svc'), { recursive: true });
  chmodSync(dir, 0o711);
  writeFileSync(join(snapshot, 'svc', 'orders'), [
    'autodeploy file:///a.git',
    'top=$(dirname "$(dirname "$orders")")',
    'export SEEN="$(id -u) $(stat -c \'%a %g\' "$top") $(stat -c \'%a %g\' "$orders")"',
    'export WROTE=$( (echo x >>"$orders") 2>/dev/null && echo yes || echo no)',
  ].join('\n') + '\n');
  const o = await readOrders(join(snapshot, 'svc', 'orders'), sh, undefined, { snapshot, rel: 'svc/orders', scratch: join(dir, 'scratch') });
  t.equal(o.env.SEEN, '65534 750 65534 640 65534', 'nobody reads a 0750/0640 copy of group nobody');
  t.equal(o.env.WROTE, 'no', 'and cannot write it');
  t.same(readdirSync(join(dir, 'scratch')), [], 'the copy is gone once read');
});
