// npm's engine mismatch warnings, from a recorded real npm install.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineWarnings } from '../../../lib/ts/build/engine-warnings.js';

const log = readFileSync(join(fileURLToPath(import.meta.url), '..', '..', '..', 'fixtures', 'build-logs', 'npm-ebadengine.log'), 'utf8');

t.test('one mismatch, as npm printed it and through a buildpack', async (t) => {
  for (const indent of ['', '       ']) {
    const w = new EngineWarnings();
    for (const l of log.split('\n')) w.push(indent + l);
    t.equal(w.summary(), "npm EBADENGINE: undici@8.14.0 wants node >=22.19.0, built with v20.20.2 (set engines.node in package.json)");
  }
});

t.test('none: null; at most three kept', async (t) => {
  const none = new EngineWarnings();
  none.push('added 1 package in 949ms');
  t.equal(none.summary(), null);
  const many = new EngineWarnings();
  for (let i = 0; i < 5; i++) for (const l of log.replace('undici@8.14.0', `p${i}@1.0.0`).split('\n')) many.push(l);
  t.match(many.summary(), /^npm EBADENGINE: p0@1\.0\.0 .*; p1@1\.0\.0 .*; p2@1\.0\.0 [^;]*$/);
});
