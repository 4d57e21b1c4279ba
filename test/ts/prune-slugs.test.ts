import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pruneSlugs, slugMetaPath } from '../../lib/ts/build.js';
import { shipPaths } from '../../lib/ts/paths.js';

t.test('slugs in use and the newest N stay; older ones go; other services untouched', async (t) => {
  const paths = shipPaths(mkdtempSync(join(tmpdir(), 'slugs-')));
  t.teardown(() => rmSync(paths.root, { recursive: true, force: true }));
  const make = (service: string, commit: string, day: number): void => {
    mkdirSync(join(paths.slug(service, commit), 'app'), { recursive: true });
    writeFileSync(slugMetaPath(paths, service, commit), JSON.stringify({ commit, buildpack: 'x', web: 'x', builtAt: `2026-01-${String(day).padStart(2, '0')}T00:00:00Z` }));
  };
  for (let d = 1; d <= 6; d++) make('api-aaaaaa', `c${d}`, d);
  make('api-v2-bbbbbb', 'c1', 1);
  const removed = pruneSlugs(paths, 'api-aaaaaa', new Set(['c1']), 2);
  t.same(removed.sort(), ['c2', 'c3', 'c4']);
  t.ok(existsSync(paths.slug('api-aaaaaa', 'c1')), 'in use: kept although oldest');
  t.ok(existsSync(paths.slug('api-aaaaaa', 'c6')));
  t.ok(existsSync(paths.slug('api-aaaaaa', 'c5')));
  t.ok(existsSync(paths.slug('api-v2-bbbbbb', 'c1')), 'a similarly named service is not touched');
});
