import t from 'tap';
import { createHmac } from 'node:crypto';
import { BadHookLimiter, verifyPushHook } from '../../../lib/ts/hooks/push-hook.js';

const secret = Buffer.from('a-hook-secret-of-some-length');
const body = Buffer.from('{"ref":"refs/heads/main"}');
const mac = (b: Buffer, s = secret): string => createHmac('sha256', s).update(b).digest('hex');

t.test('GitHub, Gitea/Forgejo and GitLab hooks check out with the secret, and only with it', async (t) => {
  t.same(verifyPushHook({ 'x-hub-signature-256': `sha256=${mac(body)}` }, body, secret), { ok: true, host: 'github' });
  t.same(verifyPushHook({ 'x-gitea-signature': mac(body) }, body, secret), { ok: true, host: 'gitea' });
  t.same(verifyPushHook({ 'x-forgejo-signature': mac(body) }, body, secret), { ok: true, host: 'gitea' });
  t.same(verifyPushHook({ 'x-gitlab-token': secret.toString() }, body, secret), { ok: true, host: 'gitlab' });
  // Another body, another secret, a truncated or malformed MAC, no prefix for GitHub.
  t.equal(verifyPushHook({ 'x-hub-signature-256': `sha256=${mac(Buffer.from('x'))}` }, body, secret).ok, false);
  t.equal(verifyPushHook({ 'x-hub-signature-256': `sha256=${mac(body, Buffer.from('other'))}` }, body, secret).ok, false);
  t.equal(verifyPushHook({ 'x-hub-signature-256': `sha256=${mac(body).slice(0, 40)}` }, body, secret).ok, false);
  t.equal(verifyPushHook({ 'x-hub-signature-256': mac(body) }, body, secret).ok, false);
  t.equal(verifyPushHook({ 'x-gitea-signature': 'zz'.repeat(32) }, body, secret).ok, false);
  t.equal(verifyPushHook({ 'x-gitlab-token': `${secret.toString()}x` }, body, secret).ok, false);
  t.match(verifyPushHook({}, body, secret), { ok: false, why: /no signature/ });
});

t.test('bad hooks: 401 up to the limit a minute, then 429, and a new minute starts over', async (t) => {
  const l = new BadHookLimiter(2);
  t.same([l.bad(0), l.bad(10), l.bad(20)], [401, 401, 429]);
  t.equal(l.bad(60_000), 401);
});
