import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pruneSlugs, slugMetaPath } from '../../../lib/ts/build/build.js';
import { shipPaths } from '../../../lib/ts/core/paths.js';

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

t.test('build logs go with their slugs; the newest failed builds keep theirs; other services untouched', async (t) => {
  const paths = shipPaths(mkdtempSync(join(tmpdir(), 'buildlogs-')));
  t.teardown(() => rmSync(paths.root, { recursive: true, force: true }));
  mkdirSync(paths.logs, { recursive: true });
  const commit = (n: number): string => `${String(n).repeat(8)}${'0'.repeat(32)}`;
  const log = (service: string, c: string, age: number): string => {
    const f = join(paths.logs, `build-${service}-${c.slice(0, 8)}.log`);
    writeFileSync(f, 'x\n');
    const at = new Date(Date.UTC(2026, 0, 1) + age * 1000);
    utimesSync(f, at, at);
    return f;
  };
  // Seven builds of one service, each with a slug; two more that failed (no slug).
  for (let d = 1; d <= 7; d++) {
    mkdirSync(join(paths.slug('api-aaaaaa', commit(d)), 'app'), { recursive: true });
    writeFileSync(slugMetaPath(paths, 'api-aaaaaa', commit(d)), JSON.stringify({ commit: commit(d), buildpack: 'x', web: 'x', builtAt: `2026-01-0${d}T00:00:00Z` }));
    log('api-aaaaaa', commit(d), d);
  }
  const failedOld = log('api-aaaaaa', 'aaaaaaaa', 8);
  const failedNew = log('api-aaaaaa', 'bbbbbbbb', 9);
  const otherService = log('api.v2-bbbbbb', commit(1), 1);
  const removed = pruneSlugs(paths, 'api-aaaaaa', new Set([commit(7)]), 1);
  t.same(removed.sort(), [commit(1), commit(2), commit(3), commit(4), commit(5)]);
  for (let d = 1; d <= 5; d++) t.notOk(existsSync(join(paths.logs, `build-api-aaaaaa-${commit(d).slice(0, 8)}.log`)), `log of pruned slug ${d} gone`);
  for (const d of [6, 7]) t.ok(existsSync(join(paths.logs, `build-api-aaaaaa-${commit(d).slice(0, 8)}.log`)), `log of kept slug ${d} stays`);
  t.ok(existsSync(failedNew), 'the newest failed build keeps its log');
  t.notOk(existsSync(failedOld), 'an older failed build log goes');
  t.ok(existsSync(otherService), 'another service is not touched');
});
