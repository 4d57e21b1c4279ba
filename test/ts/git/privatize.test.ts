// Pure parts of admirals and privatize (admiral-sync output, formatting, key checks,
// GIT_SSH_COMMAND) plus storePrivateKey with real ssh-keygen keys. The
// end-to-end proof with a real sshd is test/bats/admirals.bats.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatAdmirals, parseAdmiralSync } from '../../../lib/ts/hq/admirals.js';
import { explainGitError, gitSshCommand, privateKeyProblem, storePrivateKey, sshPaths } from '../../../lib/ts/git/privatize.js';

const dir = mkdtempSync(join(tmpdir(), 'privatize-test-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const keygen = (name: string, pass = ''): void => {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', pass, '-C', `${name}@test`, '-f', join(dir, name)]);
};
keygen('plain');
keygen('locked', 'secret-pass');

t.test('parseAdmiralSync reads key, error and note lines', async (t) => {
  const out = [
    'key\tauthorized_keys/bob key.pub\t256\tSHA256:abc\tED25519\tbob@x with spaces',
    'error\tauthorized_keys/bad is not a valid public key file (line 1 is not a public key, checked with ssh-keygen -l); skipped',
    'note\tcreated admiral user adm',
    'garbage line',
    '',
  ].join('\n');
  const r = parseAdmiralSync('adm', 'c'.repeat(40), out, new Date(0));
  t.same(r.keys, [{ file: 'authorized_keys/bob key.pub', bits: 256, fingerprint: 'SHA256:abc', type: 'ED25519', comment: 'bob@x with spaces' }]);
  t.equal(r.errors.length, 1);
  t.match(r.errors[0], /authorized_keys\/bad/);
  t.same(r.notes, ['created admiral user adm']);
  const text = formatAdmirals(r);
  t.match(text, /^admirals: user adm, 1 key from headquarters cccccccccccc/);
  t.match(text, /SHA256:abc {2}bob@x with spaces {2}ED25519 256 {2}authorized_keys\/bob key\.pub/);
  t.match(text, /error: authorized_keys\/bad/);
  t.match(formatAdmirals(null, 'adm'), /admirals: \(not synced yet; user adm\)/);
});

t.test('privateKeyProblem tells a private key from a public one, a locked one and junk', async (t) => {
  t.equal(privateKeyProblem(readFileSync(join(dir, 'plain'), 'utf8')), null);
  t.match(privateKeyProblem(readFileSync(join(dir, 'plain.pub'), 'utf8')) ?? '', /public key; privatize needs the private half/);
  t.match(privateKeyProblem('') ?? '', /empty/);
  t.match(privateKeyProblem('hello') ?? '', /not an OpenSSH or PEM private key/);
  t.match(privateKeyProblem('-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n') ?? '', /passphrase/);
});

t.test('gitSshCommand: accept-new with the ship known_hosts by default, strict with a given file', async (t) => {
  const p = sshPaths('/r oot');
  const def = gitSshCommand('/r oot', false);
  t.match(def, /BatchMode=yes/);
  t.match(def, /StrictHostKeyChecking=accept-new -o UserKnownHostsFile='\/r oot\/ssh\/known_hosts'/);
  t.notMatch(def, / -i /);
  const keyed = gitSshCommand('/r oot', true, "/etc/it's known");
  t.match(keyed, new RegExp(`-i '${p.key}' -o IdentitiesOnly=yes`));
  t.match(keyed, /StrictHostKeyChecking=yes -o UserKnownHostsFile='\/etc\/it'\\''s known'/);
});

t.test('explainGitError adds what to do for a refused key', async (t) => {
  const denied = 'repo-sync: cannot fetch ssh://g@h/x: g@h: Permission denied (publickey). (fatal: Could not read from remote repository.)';
  t.match(explainGitError(denied, null), /run 'starphleet privatize PRIVATE_KEY_FILE'/);
  t.match(explainGitError(denied, { fingerprint: 'SHA256:k', type: 'ED25519', comment: '' }), /key SHA256:k is not accepted/);
  t.match(explainGitError('cannot fetch x: Host key verification failed. (fatal: ...)', null), /STARPHLEET_KNOWN_HOSTS/);
  t.equal(explainGitError('no branch, tag or commit', null), 'no branch, tag or commit');
});

t.test('storePrivateKey keeps a usable key 0600 under ROOT/ssh and refuses a locked one', async (t) => {
  const root = join(dir, 'root');
  const info = await storePrivateKey(root, readFileSync(join(dir, 'plain'), 'utf8'));
  const expected = execFileSync('ssh-keygen', ['-l', '-f', join(dir, 'plain.pub')]).toString().split(' ')[1];
  t.equal(info.fingerprint, expected);
  t.equal(info.comment, 'plain@test');
  const p = sshPaths(root);
  t.equal(statSync(p.key).mode & 0o777, 0o600);
  t.equal(statSync(p.dir).mode & 0o777, 0o700);
  t.equal(readFileSync(p.key, 'utf8'), readFileSync(join(dir, 'plain'), 'utf8'));
  await t.rejects(storePrivateKey(root, readFileSync(join(dir, 'locked'), 'utf8')), /passphrase/);
  await t.rejects(storePrivateKey(root, '-----BEGIN OPENSSH PRIVATE KEY-----\nnope\n-----END OPENSSH PRIVATE KEY-----\n'), /not a private key ssh can load/);
  // A refused key leaves the stored one in place.
  t.equal(readFileSync(p.key, 'utf8'), readFileSync(join(dir, 'plain'), 'utf8'));
});
