import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { advertised, parseGitUrl, syncRepo } from '../../../lib/ts/git/resolve.js';

const sh = join(import.meta.dirname, '..', '..', '..', 'lib', 'sh', 'host');

t.test('parseGitUrl splits URL#ref and refuses bad refs', async (t) => {
  t.same(parseGitUrl('https://h.invalid/a.git'), { url: 'https://h.invalid/a.git' });
  t.same(parseGitUrl('https://h.invalid/a.git#release/1.0'), { url: 'https://h.invalid/a.git', ref: 'release/1.0' });
  t.same(parseGitUrl('/srv/a.git#'), { url: '/srv/a.git' });
  t.throws(() => parseGitUrl('#main'), /no URL/);
  t.throws(() => parseGitUrl('x#a..b'), /not a valid/);
  t.throws(() => parseGitUrl('x#-rf'), /not a valid/);
  t.throws(() => parseGitUrl('github.com/me/app'), /'github.com\/me\/app' is not a git URL: write https:\/\/HOST/);
  t.throws(() => parseGitUrl('../repos/app.git#main'), /is not a git URL/);
  t.same(parseGitUrl('git@github.com:me/app.git#main'), { url: 'git@github.com:me/app.git', ref: 'main' });
  t.same(parseGitUrl('ssh://git@h.invalid:2222/app.git'), { url: 'ssh://git@h.invalid:2222/app.git' });
  t.same(parseGitUrl('file:///srv/a.git'), { url: 'file:///srv/a.git' });
  t.same(parseGitUrl('git+ssh://h.invalid/a.git'), { url: 'git+ssh://h.invalid/a.git' });
});

t.test('repo-sync resolves branch, tag, sha and default branch to exact commits', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'resolve-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const git = (...args: string[]): string => execFileSync('git', args, {
    cwd: join(dir, 'work'),
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x.invalid' },
  }).toString().trim();
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', join(dir, 'remote.git')]);
  execFileSync('git', ['init', '-q', '-b', 'main', join(dir, 'work')]);
  writeFileSync(join(dir, 'work', 'f'), '1');
  git('add', '-A');
  git('commit', '-qm', 'one');
  const one = git('rev-parse', 'HEAD');
  git('tag', 'v1');
  writeFileSync(join(dir, 'work', 'f'), '2');
  git('commit', '-qam', 'two');
  const two = git('rev-parse', 'HEAD');
  git('checkout', '-qb', 'feature');
  writeFileSync(join(dir, 'work', 'f'), '3');
  git('commit', '-qam', 'three');
  const three = git('rev-parse', 'HEAD');
  git('push', '-q', join(dir, 'remote.git'), 'main', 'feature', 'v1');
  const url = `file://${dir}/remote.git`;
  const cache = join(dir, 'cache.git');
  t.equal(await syncRepo(sh, { url }, cache), two, 'default branch');
  t.equal(await syncRepo(sh, { url, ref: 'feature' }, cache), three, 'branch');
  t.equal(await syncRepo(sh, { url, ref: 'v1' }, cache), one, 'tag');
  t.equal(await syncRepo(sh, { url, ref: one.slice(0, 10) }, cache), one, 'abbreviated sha');
  t.equal(await syncRepo(sh, { url, ref: one }, cache), one, 'full sha');
  await t.rejects(syncRepo(sh, { url, ref: 'nope' }, cache), /no branch, tag or commit 'nope'/);
  await t.rejects(syncRepo(sh, { url: `file://${dir}/missing.git` }, join(dir, 'c2.git')), /cannot fetch/);
});

t.test('a repo whose HEAD names a branch it does not have (git init --bare, then push main): #main deploys, no ref says what to write', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'resolve-head-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x.invalid' };
  execFileSync('git', ['init', '-q', '--bare', join(dir, 'remote.git')]);
  execFileSync('git', ['symbolic-ref', 'HEAD', 'refs/heads/master'], { cwd: join(dir, 'remote.git') });
  execFileSync('git', ['init', '-q', '-b', 'main', join(dir, 'work')]);
  writeFileSync(join(dir, 'work', 'f'), '1');
  execFileSync('git', ['add', '-A'], { cwd: join(dir, 'work'), env });
  execFileSync('git', ['commit', '-qm', 'one'], { cwd: join(dir, 'work'), env });
  execFileSync('git', ['push', '-q', join(dir, 'remote.git'), 'main'], { cwd: join(dir, 'work'), env });
  const one = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: join(dir, 'work') }).toString().trim();
  const url = `file://${dir}/remote.git`;
  t.equal(await syncRepo(sh, { url, ref: 'main' }, join(dir, 'cache.git')), one, 'a named branch resolves');
  await t.rejects(syncRepo(sh, { url }, join(dir, 'cache2.git')),
    /default branch \(HEAD\) of \S+ names a branch it does not have; name one: autodeploy .*remote\.git#BRANCH \(branches: main\)/);
});

t.test('an unchanged branch is one ls-remote; a new commit, a removed cache or a tag runs the full sync', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'resolve-memo-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x.invalid' };
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: join(dir, 'work'), env }).toString().trim();
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', join(dir, 'remote.git')]);
  execFileSync('git', ['init', '-q', '-b', 'main', join(dir, 'work')]);
  writeFileSync(join(dir, 'work', 'f'), '1');
  git('add', '-A');
  git('commit', '-qm', 'one');
  git('tag', 'v1');
  git('push', '-q', join(dir, 'remote.git'), 'main', 'v1');
  const one = git('rev-parse', 'HEAD');
  // The real repo-sync, behind a wrapper that counts its runs.
  const wrapped = join(dir, 'sh');
  mkdirSync(wrapped);
  writeFileSync(join(wrapped, 'repo-sync'), `#!/bin/sh\necho run >>"${dir}/runs"\nexec "${sh}/repo-sync" "$@"\n`, { mode: 0o755 });
  const runs = (): number => (existsSync(join(dir, 'runs')) ? readFileSync(join(dir, 'runs'), 'utf8').split('\n').filter(Boolean).length : 0);
  const url = `file://${dir}/remote.git`;
  const cache = join(dir, 'cache.git');
  for (const target of [{ url, ref: 'main' }, { url }]) {
    t.equal(await syncRepo(wrapped, target, cache), one);
    t.equal(await syncRepo(wrapped, target, cache), one);
  }
  t.equal(runs(), 2, 'once per target; the second time, the remote said the same commit');
  writeFileSync(join(dir, 'work', 'f'), '2');
  git('commit', '-qam', 'two');
  git('push', '-q', join(dir, 'remote.git'), 'main');
  const two = git('rev-parse', 'HEAD');
  t.equal(await syncRepo(wrapped, { url, ref: 'main' }, cache), two, 'a pushed commit is fetched');
  t.equal(runs(), 3);
  rmSync(cache, { recursive: true, force: true });
  t.equal(await syncRepo(wrapped, { url, ref: 'main' }, cache), two, 'a cache made again is filled again');
  t.equal(runs(), 4);
  t.equal(await syncRepo(wrapped, { url, ref: 'v1' }, cache), one);
  t.equal(await syncRepo(wrapped, { url, ref: 'v1' }, cache), one);
  t.equal(runs(), 6, 'a tag (it can be moved) is fetched every time');
  t.equal(await syncRepo(wrapped, { url, ref: one }, cache), one);
  t.equal(await syncRepo(wrapped, { url, ref: one }, cache), one);
  t.equal(runs(), 7, 'a full sha, once here, needs nothing more');
  // A remote that went away is the full sync's error, not a stale answer.
  rmSync(join(dir, 'remote.git'), { recursive: true, force: true });
  await t.rejects(syncRepo(wrapped, { url, ref: 'main' }, cache), /cannot fetch/);
});

t.test('advertised reads one ref out of ls-remote output', async (t) => {
  const sha = 'a'.repeat(40);
  t.equal(advertised(`${sha}\trefs/heads/main\n`, 'refs/heads/main'), sha);
  t.equal(advertised(`${sha}\trefs/heads/x/refs/heads/main\n`, 'refs/heads/main'), null, 'a longer ref ending the same is not it');
  t.equal(advertised('', 'HEAD'), null);
});
