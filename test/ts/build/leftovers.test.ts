import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanBuildLeftovers, mountsUnder } from '../../../lib/ts/build/leftovers.js';
import { shipPaths } from '../../../lib/ts/core/paths.js';

const shDir = join(dirname(fileURLToPath(import.meta.url)), '../../../lib/sh/host');

t.test('mountsUnder: only mounts below the folder, deepest first, escapes decoded', async (t) => {
  const mounts = [
    'proc /proc proc rw 0 0',
    'starphleet-env /r/builds/a/env tmpfs rw 0 0',
    'x /r/builds-other/b tmpfs rw 0 0',
    'y /r/builds/a/env/deeper tmpfs rw 0 0',
    'z /r/builds/with\\040space/env tmpfs rw 0 0',
  ].join('\n');
  t.same(mountsUnder('/r/builds', mounts), ['/r/builds/with space/env', '/r/builds/a/env/deeper', '/r/builds/a/env']);
});

t.test('a build cut short by a killed agent: its mounted ENV_DIR tmpfs, work folder and build container are removed', {
  skip: process.getuid?.() !== 0 ? 'needs root (mount)' : false,
}, async (t) => {
  const paths = shipPaths(mkdtempSync(join(tmpdir(), 'leftovers-')));
  t.teardown(() => {
    try { execFileSync('umount', ['-l', join(paths.builds, 'abc123', 'env')], { stdio: 'ignore' }); } catch { /* gone */ }
    rmSync(paths.root, { recursive: true, force: true });
  });
  const env = join(paths.builds, 'abc123', 'env');
  mkdirSync(join(paths.builds, 'abc123', 'app'), { recursive: true });
  mkdirSync(env);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'starphleet-env', env]);
  writeFileSync(join(env, 'SECRET'), 'value');
  mkdirSync(join(paths.container('build--api-aaaaaa--abc123'), 'delta'), { recursive: true });
  writeFileSync(join(paths.container('build--api-aaaaaa--abc123'), 'config'), '');
  mkdirSync(paths.container('api-aaaaaa--12345678-1'), { recursive: true });
  writeFileSync(join(paths.container('api-aaaaaa--12345678-1'), 'config'), '');

  const removed = await cleanBuildLeftovers(paths, shDir);
  t.same(removed.sort(), ['build abc123', 'container build--api-aaaaaa--abc123']);
  t.notOk(readFileSync('/proc/self/mounts', 'utf8').includes(env), 'the tmpfs is unmounted');
  t.notOk(existsSync(join(paths.builds, 'abc123')), 'the work folder is gone');
  t.notOk(existsSync(paths.container('build--api-aaaaaa--abc123')), 'the build container is gone');
  t.ok(existsSync(paths.container('api-aaaaaa--12345678-1')), 'an app container is not touched');
  t.same(await cleanBuildLeftovers(paths, shDir), [], 'a second run finds nothing');
});
