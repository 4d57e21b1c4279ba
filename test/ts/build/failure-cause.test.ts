// The line that says why a build or start failed, on recorded real output
// (test/fixtures/build-logs/README.md says how each was made).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { failureCause } from '../../../lib/ts/build/failure-cause.js';

const dir = join(fileURLToPath(import.meta.url), '..', '..', '..', 'fixtures', 'build-logs');
const log = (name: string): string => readFileSync(join(dir, name), 'utf8');
/** As a buildpack prints it: indented, after its own lines naming the symptom. */
const throughPack = (text: string, pack = 'nodejs'): string => [
  '-----> Building web at 5bbc5b5020a8', `-----> ${pack} app detected`,
  ...text.split('\n').map((l) => `       ${l}`),
  '!     npm install failed (exit 1)', `!     build failed: ${pack} compile exited 1`,
].join('\n');

const cases: Array<[string, RegExp]> = [
  ['npm-missing-start.log', /^npm error Missing script: "start"$/],
  ['npm-offline.log', /^npm error FetchError: request to http:\/\/127\.0\.0\.1:9\/left-pad failed, reason: connect ECONNREFUSED/],
  ['npm-command-not-found.log', /^sh: 1: vite: not found$/],
  ['node-gyp.log', /^\.\.\/addon\.cc:2:74: error: expected ‘;’ before ‘}’ token$/],
  ['node-gyp-headers.log', /^node-gyp could not download the Node\.js headers \(http:\/\/127\.0\.0\.1:61999\/v20\.20\.2\/node-v20\.20\.2-headers\.tar\.gz\): Error: connect ECONNREFUSED/],
  ['node-crash.log', /^Error: Cannot find module '\/tmp\/rl\/a\/nothere\.js'$/],
  ['pip-offline.log', /^ERROR: No matching distribution found for flask-doesnotexist-xyz$/],
  ['python-traceback.log', /^ModuleNotFoundError: No module named 'flaskxyz'$/],
  ['go-build.log', /^\.\/main\.go:6:14: undefined: greeting$/],
  ['go-module.log', /^main\.go:3:8: github\.com\/gorilla\/mux@v1\.8\.1: Get .*connection refused$/],
  ['next-build.log', /^\.\/app\/layout\.js: Module parse failed: 'import' and 'export' may appear only with 'sourceType: module'/],
];

for (const [file, want] of cases) {
  t.test(file, async (t) => {
    t.match(failureCause(log(file)), want, 'as the tool printed it');
    t.match(failureCause(throughPack(log(file))), want, 'through a buildpack: indented, its symptom lines after it');
  });
}

t.test("no tool named a cause: the pack's own first failure line, not the step that failed", async (t) => {
  t.equal(failureCause('-----> Building\n!     package.json is not valid JSON: Unexpected token\n!     build failed: nodejs compile exited 1\n'), 'package.json is not valid JSON: Unexpected token');
  t.equal(failureCause('-----> Building x\n!     no buildpack detected for this app (tried: nodejs python)\n'), 'no buildpack detected for this app (tried: nodejs python)');
  t.equal(failureCause('!     build failed: nodejs compile exited 1\n'), 'build failed: nodejs compile exited 1', 'only the step: still better than nothing');
});

t.test('nothing at all: null (the caller shows the last lines)', async (t) => {
  t.equal(failureCause('-----> Building\n-----> done\n'), null);
  t.equal(failureCause(''), null);
});

t.test('a library the base lacks (seen: node from the npm registry on a Debian base without libatomic1)', async (t) => {
  t.equal(failureCause(throughPack('node: error while loading shared libraries: libatomic.so.1: cannot open shared object file: No such file or directory')),
    'node: error while loading shared libraries: libatomic.so.1: cannot open shared object file: No such file or directory');
});

t.test('colours are dropped and a long cause is cut', async (t) => {
  t.equal(failureCause('\x1b[31mnpm error\x1b[0m Missing script: "build"'), 'npm error Missing script: "build"');
  const long = failureCause(`npm error ${'x'.repeat(1000)}`) ?? '';
  t.equal(long.length, 300);
  t.ok(long.endsWith('…'));
});
