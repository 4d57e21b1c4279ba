// Runs the real lib/sh/buildpack-detect against the real buildpacks on
// fixture apps, proving the fixed order nodejs > python > static > procfile.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assets } from '../../lib/ts/assets.js';

const detectScript = join(assets().sh, 'buildpack-detect');
const packs = assets().buildpacks;

function detect(dir: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(detectScript, [dir, packs], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Fixture {
  [name: string]: string | Fixture;
}
const web = 'web: ./run\n';

const cases: Array<[string, Fixture, string, string]> = [
  ['package.json alone', { 'package.json': '{}' }, 'nodejs', 'Node.js'],
  ['package.json beats index.html', { 'package.json': '{}', 'index.html': '<p>' }, 'nodejs', 'Node.js'],
  ['package.json beats requirements.txt', { 'package.json': '{}', 'requirements.txt': '' }, 'nodejs', 'Node.js'],
  ['package.json beats a Procfile', { 'package.json': '{}', Procfile: web }, 'nodejs', 'Node.js'],
  ['requirements.txt', { 'requirements.txt': '' }, 'python', 'Python'],
  ['setup.py', { 'setup.py': '' }, 'python', 'Python'],
  ['pyproject.toml', { 'pyproject.toml': '' }, 'python', 'Python'],
  ['Pipfile', { Pipfile: '' }, 'python', 'Python'],
  ['python beats index.html', { 'requirements.txt': '', 'index.html': '<p>' }, 'python', 'Python'],
  ['python beats a Procfile', { 'app.py': '', 'requirements.txt': '', Procfile: web }, 'python', 'Python'],
  ['index.html alone', { 'index.html': '<p>' }, 'static', 'Static HTML'],
  ['index.html with assets and dot-files', { 'index.html': '<p>', css: { 'a.css': '' }, '.env': 'A=1' }, 'static', 'Static HTML'],
  ['index.html with a Procfile', { 'index.html': '<p>', Procfile: web }, 'procfile', 'Procfile'],
  ['a Procfile alone', { Procfile: web, 'run.sh': '' }, 'procfile', 'Procfile'],
];

for (const [name, files, pack, label] of cases) {
  t.test(name, async (t) => {
    const r = detect(t.testdir(files));
    t.equal(r.status, 0, r.stderr);
    t.equal(r.stdout, `${pack}\t${label}\n`);
  });
}

const none: Array<[string, Fixture]> = [
  ['an empty folder', {}],
  ['index.html beside go.mod', { 'index.html': '<p>', 'go.mod': 'module x' }],
  ['index.html beside a Gemfile', { 'index.html': '<p>', Gemfile: '' }],
  ['a Procfile without web', { Procfile: 'worker: ./work\n' }],
  ['a Procfile with an empty web line', { Procfile: 'web:\n' }],
  ['index.html in a subfolder only', { public: { 'index.html': '<p>' } }],
];

for (const [name, files] of none) {
  t.test(`nothing detected: ${name}`, async (t) => {
    const r = detect(t.testdir(files));
    t.equal(r.status, 1);
    t.equal(r.stdout, '');
    t.equal(r.stderr, 'no buildpack detected for this app (tried: nodejs python static procfile)\n');
  });
}

t.test('the order file is the fixed order', async (t) => {
  t.same(readFileSync(join(packs, 'order'), 'utf8').trim().split('\n'), ['nodejs', 'python', 'static', 'procfile']);
});

t.test('usage errors exit 2', async (t) => {
  const r = spawnSync(detectScript, [], { encoding: 'utf8' });
  t.equal(r.status, 2);
  t.match(r.stderr, /^usage: buildpack-detect BUILD_DIR BUILDPACKS_DIR/);
  const missing = detect(join(t.testdir({}), 'nope'));
  t.equal(missing.status, 2);
});
