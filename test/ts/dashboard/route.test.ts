import t from 'tap';
import { mkdtempSync, statSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assets } from '../../../lib/ts/core/assets.js';
import { renderNginxConfig, servicePathProblem } from '../../../lib/ts/nginx/config.js';
import { ensureToken, Expiring } from '../../../lib/ts/dashboard/server.js';

const input = (dashboardSocket?: string) => ({
  listenPort: 8080, prefix: '/var/starphleet/nginx', controlSocket: '/var/starphleet/run/nginx-control.sock', generation: 1,
  routes: [{ path: '/', serviceId: 'root-abc123', container: 'root-abc123--deadbeef-1', upstreams: ['10.0.3.10:3000'] }],
  dashboardSocket,
});

t.test('/starphleet/ is reserved for the ship', async (t) => {
  for (const p of ['/starphleet', '/starphleet/x', '/starphleet/dashboard']) t.match(servicePathProblem(p), /reserved/, `${p} refused`);
  t.equal(servicePathProblem('/starphleets'), null, 'a longer name is fine');
  t.equal(servicePathProblem('/x/starphleet'), null);
});

t.test('the dashboard location proxies /starphleet/ to the agent socket, ahead of a root service', async (t) => {
  const c = renderNginxConfig(input('/var/starphleet/run/dashboard.sock'), assets().templates);
  t.match(c, /location \^~ \/starphleet\/ \{\s*proxy_pass http:\/\/unix:\/var\/starphleet\/run\/dashboard\.sock:;/);
  t.match(c, /location = \/starphleet \{[^}]*absolute_redirect off;\s*return 302 \/starphleet\/dashboard\/;/, "a relative redirect, never built from Host");
  t.notMatch(renderNginxConfig(input(), assets().templates), /location \^~ \/starphleet/, 'no socket, no location');
  t.throws(() => renderNginxConfig(input('/var/x;y'), assets().templates), { message: /dashboard socket/ });
});

t.test('the token is made once, root-only; the session is derived from it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-token-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'dashboard.token');
  const a = ensureToken(file);
  t.match(a, /^[0-9a-f]{64}$/);
  t.equal(statSync(file).mode & 0o777, 0o600);
  t.equal(ensureToken(file), a, 'kept');
  t.equal(readFileSync(file, 'utf8').trim(), a);
  // Sessions and login codes: random, expiring; codes single-use.
  let now = 1000;
  const codes = new Expiring(600, () => now);
  const c1 = codes.issue();
  t.match(c1, /^[0-9a-f]{32}$/);
  t.not(c1, a);
  t.equal(codes.check(c1), true);
  t.equal(codes.check(c1, true), true, 'consumed once');
  t.equal(codes.check(c1), false, 'never twice');
  const c2 = codes.issue();
  now += 600;
  t.equal(codes.check(c2), false, 'expired');
  t.equal(codes.check('nothex'), false);
});
