// Runs the real lib/sh/container/buildpack-detect against the real buildpacks on
// fixture apps, proving the fixed order of buildpacks/order:
// nodejs > python > ruby > go > php > play > scala > clojure > java > dart >
// perl > apache > static > procfile.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assets } from '../../../lib/ts/core/assets.js';

const detectScript = join(assets().shContainer, 'buildpack-detect');
const packs = assets().buildpacks;

function detect(dir: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(detectScript, [dir, packs], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Fixture {
  [name: string]: string | Fixture;
}
const web = 'web: ./run\n';
const order = ['nodejs', 'python', 'ruby', 'go', 'php', 'play', 'scala', 'clojure', 'java', 'dart', 'perl', 'apache', 'static', 'procfile'];

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
  // the runtimes from Debian packages
  ['Gemfile', { Gemfile: '' }, 'ruby', 'Ruby'],
  ['go.mod', { 'go.mod': 'module x\n' }, 'go', 'Go'],
  ['index.php', { 'index.php': '<?php' }, 'php', 'PHP'],
  ['composer.json', { 'composer.json': '{}' }, 'php', 'PHP'],
  ['pom.xml', { 'pom.xml': '<project/>' }, 'java', 'Java'],
  ['build.gradle', { 'build.gradle': '' }, 'java', 'Java'],
  ['.java sources under src/', { src: { hello: { 'Main.java': 'class Main {}' } } }, 'java', 'Java'],
  ['cpanfile', { cpanfile: "requires 'Plack';\n" }, 'perl', 'Perl'],
  ['app.psgi', { 'app.psgi': 'sub { }' }, 'perl', 'Perl'],
  ['.htaccess', { '.htaccess': 'RewriteEngine On\n', 'index.html': '<p>' }, 'apache', 'Apache'],
  // detected so that the build can say what is missing
  ['build.sbt with conf/routes is Play', { 'build.sbt': '', conf: { routes: '' } }, 'play', 'Play'],
  ['build.sbt alone is Scala', { 'build.sbt': '' }, 'scala', 'Scala'],
  ['project/build.properties is Scala', { project: { 'build.properties': '' } }, 'scala', 'Scala'],
  ['project.clj', { 'project.clj': '' }, 'clojure', 'Clojure'],
  ['deps.edn', { 'deps.edn': '{}' }, 'clojure', 'Clojure'],
  ['pubspec.yaml', { 'pubspec.yaml': 'name: x\n' }, 'dart', 'Dart'],
  // the order between them
  ['package.json beats a Gemfile', { 'package.json': '{}', Gemfile: '' }, 'nodejs', 'Node.js'],
  ['python beats go.mod', { 'requirements.txt': '', 'go.mod': 'module x\n' }, 'python', 'Python'],
  ['a Gemfile beats go.mod', { Gemfile: '', 'go.mod': 'module x\n' }, 'ruby', 'Ruby'],
  ['go.mod beats index.php', { 'go.mod': 'module x\n', 'index.php': '' }, 'go', 'Go'],
  ['index.php beats .htaccess', { 'index.php': '', '.htaccess': '' }, 'php', 'PHP'],
  ['Play beats a pom.xml', { 'build.sbt': '', conf: { 'application.conf': '' }, 'pom.xml': '' }, 'play', 'Play'],
  ['Scala beats .java sources', { 'build.sbt': '', src: { 'A.java': '' } }, 'scala', 'Scala'],
  ['Clojure beats a pom.xml (lein pom)', { 'project.clj': '', 'pom.xml': '' }, 'clojure', 'Clojure'],
  ['java beats pubspec.yaml', { 'pom.xml': '', 'pubspec.yaml': '' }, 'java', 'Java'],
  ['dart beats app.psgi', { 'pubspec.yaml': '', 'app.psgi': '' }, 'dart', 'Dart'],
  ['perl beats .htaccess', { 'app.psgi': '', '.htaccess': '' }, 'perl', 'Perl'],
  ['apache beats a Procfile', { '.htaccess': '', Procfile: web }, 'apache', 'Apache'],
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
  ['index.html beside Cargo.toml', { 'index.html': '<p>', 'Cargo.toml': '' }],
  ['index.html beside mix.exs', { 'index.html': '<p>', 'mix.exs': '' }],
  ['src/ without .java files', { src: { 'main.rs': '' } }],
  ['a Procfile without web', { Procfile: 'worker: ./work\n' }],
  ['a Procfile with an empty web line', { Procfile: 'web:\n' }],
  ['index.html in a subfolder only', { public: { 'index.html': '<p>' } }],
];

for (const [name, files] of none) {
  t.test(`nothing detected: ${name}`, async (t) => {
    const r = detect(t.testdir(files));
    t.equal(r.status, 1);
    t.equal(r.stdout, '');
    t.equal(r.stderr, `no buildpack detected for this app (tried: ${order.join(' ')})\n`);
  });
}

t.test('the order file is the fixed order', async (t) => {
  t.same(readFileSync(join(packs, 'order'), 'utf8').trim().split('\n'), order);
});

t.test('usage errors exit 2', async (t) => {
  const r = spawnSync(detectScript, [], { encoding: 'utf8' });
  t.equal(r.status, 2);
  t.match(r.stderr, /^usage: buildpack-detect BUILD_DIR BUILDPACKS_DIR/);
  const missing = detect(join(t.testdir({}), 'nope'));
  t.equal(missing.status, 2);
});
