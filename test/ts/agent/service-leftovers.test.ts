import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shipPaths } from '../../../lib/ts/core/paths.js';
import { sweepServiceFiles } from '../../../lib/ts/agent/service-leftovers.js';
import { serviceIdFor } from '../../../lib/ts/core/service-names.js';

t.test('a gone service loses its slugs, cache, repo cache and build logs; kept services and foreign files stay', async (t) => {
  const paths = shipPaths(mkdtempSync(join(tmpdir(), 'sp-sweep-')));
  t.teardown(() => rmSync(paths.root, { recursive: true, force: true }));
  const api = serviceIdFor('/api');
  const apiV2 = serviceIdFor('/api-v2');
  for (const id of [api, apiV2]) {
    mkdirSync(paths.slug(id, 'a'.repeat(40)), { recursive: true });
    mkdirSync(paths.cache(id), { recursive: true });
    mkdirSync(paths.repo(id), { recursive: true });
  }
  mkdirSync(paths.logs, { recursive: true });
  writeFileSync(join(paths.logs, `build-${api}-deadbeef.log`), 'x');
  writeFileSync(join(paths.logs, `build-${apiV2}-deadbeef.log`), 'x');
  writeFileSync(join(paths.logs, 'agent.jsonl'), 'x');
  mkdirSync(join(paths.caches, 'not-a-service'), { recursive: true });

  const removed = sweepServiceFiles(paths, new Set([api]));
  t.same(removed.sort(), [
    `cache/${apiV2}`, `logs/build-${apiV2}-deadbeef.log`, `repos/${apiV2}.git`, `slugs/${apiV2}`,
  ].sort());
  t.notOk(existsSync(paths.slug(apiV2, 'a'.repeat(40))));
  t.ok(existsSync(paths.slug(api, 'a'.repeat(40))), 'a kept service keeps its slug');
  t.ok(existsSync(paths.cache(api)));
  t.ok(existsSync(paths.repo(api)));
  t.ok(existsSync(join(paths.logs, `build-${api}-deadbeef.log`)));
  t.ok(existsSync(join(paths.logs, 'agent.jsonl')), 'not a build log: stays');
  t.ok(existsSync(join(paths.caches, 'not-a-service')), 'not a service id: stays');
  t.same(sweepServiceFiles(paths, new Set([api])), [], 'nothing more the second time');
});
