// Which packs a build names by URL, and where from; a service repo may not
// name a pack on the ship's own disk.
import t from 'tap';
import { buildpacksUrls, envBuildpackUrl, isLocalGitUrl, packUrls } from '../../../lib/ts/build/custom-packs.js';

t.test('the .env line is read as text, never run', async (t) => {
  t.equal(envBuildpackUrl('# c\nOTHER=1\nBUILDPACK_URL=https://example.com/p.git#v1\n'), 'https://example.com/p.git#v1');
  t.equal(envBuildpackUrl('export BUILDPACK_URL="https://example.com/p.git"\n'), 'https://example.com/p.git');
  t.equal(envBuildpackUrl("BUILDPACK_URL='git@example.com:p.git'\n"), 'git@example.com:p.git');
  t.equal(envBuildpackUrl('OTHER=1\n'), null);
  t.throws(() => envBuildpackUrl('BUILDPACK_URL=$(cat /etc/passwd)\n'), /must be a literal URL \(the ship reads it as text\), got '\$\(cat \/etc\/passwd\)'/);
  t.throws(() => envBuildpackUrl('BUILDPACK_URL=https://x/$HOME\n'), /literal URL/);
});

t.test('.buildpacks: URL lines (a #ref kept), not built-in names or comments', async (t) => {
  t.same(buildpacksUrls('# front\nnodejs\nhttps://example.com/p.git#v2\n\nstatic\n'), ['https://example.com/p.git#v2']);
});

t.test('orders win; a path or file:// only from the orders', async (t) => {
  t.ok(isLocalGitUrl('/srv/p.git'));
  t.ok(isLocalGitUrl('file:///srv/p.git'));
  t.notOk(isLocalGitUrl('ssh://h/p.git'));
  t.notOk(isLocalGitUrl('git@h:p.git'));
  const o = packUrls('file:///srv/pack.git#v1', 'BUILDPACK_URL=https://example.com/other.git\n', null);
  t.same(o.map((p) => [p.spec, p.from, p.target.url, p.target.ref]), [['file:///srv/pack.git#v1', 'orders', 'file:///srv/pack.git', 'v1']]);
  t.same(packUrls(undefined, 'BUILDPACK_URL=https://example.com/p.git\n', 'nodejs\n').map((p) => p.from), ['.env']);
  t.same(packUrls(undefined, null, 'nodejs\nssh://git@h/p.git\n').map((p) => p.spec), ['ssh://git@h/p.git']);
  t.throws(() => packUrls(undefined, 'BUILDPACK_URL=file:///srv/other-service.git\n', null), /^\.env: file:\/\/\/srv\/other-service\.git reads the ship's own disk: a pack at a path or file:\/\/ URL may only be named by the orders' BUILDPACK_URL$/);
  t.throws(() => packUrls(undefined, null, '/root/secret.git\n'), /\.buildpacks: \/root\/secret\.git reads the ship's own disk/);
  t.throws(() => packUrls(undefined, null, 'github.com/me/pack\n'), /is not a git URL/);
  t.same(packUrls(undefined, null, null), []);
});
