import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeContainerLog, removeOrphanLogs } from '../../../lib/ts/logs/container-logs.js';
import { shipPaths } from '../../../lib/ts/core/paths.js';

t.test('a container log and its rotation go with the container', async (t) => {
  const paths = shipPaths(mkdtempSync(join(tmpdir(), 'clogs-')));
  t.teardown(() => rmSync(paths.root, { recursive: true, force: true }));
  mkdirSync(paths.logs);
  const name = 'api-aaaaaa--12345678-3';
  writeFileSync(paths.containerLog(name), 'x');
  writeFileSync(`${paths.containerLog(name)}.1`, 'x');
  removeContainerLog(paths, name);
  t.notOk(existsSync(paths.containerLog(name)));
  t.notOk(existsSync(`${paths.containerLog(name)}.1`));
  removeContainerLog(paths, name); // nothing there: no error
});

t.test('at agent start, logs of containers the ship no longer has go; the rest stays', async (t) => {
  const paths = shipPaths(mkdtempSync(join(tmpdir(), 'clogs-')));
  t.teardown(() => rmSync(paths.root, { recursive: true, force: true }));
  mkdirSync(paths.logs);
  const files = [
    'api-aaaaaa--12345678-1.log', 'api-aaaaaa--12345678-1.log.1', // gone container
    'api-aaaaaa--12345678-2.log', // in the state
    'notes.log', // not a container log name
    'api-aaaaaa--9abcdef0-4.log', // not in the state, but its container folder exists (a failed one being inspected)
    'build-api-aaaaaa-12345678.log', 'agent.jsonl', 'agent.stderr',
  ];
  for (const f of files) writeFileSync(join(paths.logs, f), 'x');
  mkdirSync(paths.container('api-aaaaaa--9abcdef0-4'), { recursive: true });
  const removed = removeOrphanLogs(paths, new Set(['api-aaaaaa--12345678-2']));
  t.same(removed.sort(), ['api-aaaaaa--12345678-1.log', 'api-aaaaaa--12345678-1.log.1']);
  for (const f of files.slice(2)) t.ok(existsSync(join(paths.logs, f)), `${f} stays`);
});
