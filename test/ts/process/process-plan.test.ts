import t from 'tap';
import { parseProcessCounts, planInstances, processTypes, releaseCommand, typeOf, unknownTypes } from '../../../lib/ts/process/process-plan.js';

const procfile = 'web: node web.js\nworker: node worker.js\nrelease: node migrate.js\nclock: node clock.js\n';

t.test('process types: every Procfile line but release, over the pack defaults', async (t) => {
  t.same(processTypes(procfile, 'default_process_types:\n  web: npm start\n  console: node\n'),
    { web: 'node web.js', console: 'node', worker: 'node worker.js', clock: 'node clock.js' });
  t.same(processTypes(null, 'default_process_types:\n  web: npm start\n'), { web: 'npm start' });
  t.equal(releaseCommand(procfile), 'node migrate.js');
  t.equal(releaseCommand('web: x\n'), undefined);
  t.equal(releaseCommand(null), undefined);
});

t.test('PROCESSES counts, and one-line reasons for bad ones', async (t) => {
  t.same(parseProcessCounts('web=2 worker=0'), { web: 2, worker: 0 });
  t.same(parseProcessCounts('web=2,worker=1'), { web: 2, worker: 1 });
  t.same(parseProcessCounts(undefined), {});
  t.throws(() => parseProcessCounts('web:2'), /PROCESSES must be TYPE=COUNT words .* got 'web:2'/);
  t.throws(() => parseProcessCounts('web=17'), /more than 16 instances/);
  t.throws(() => parseProcessCounts('release=1'), /release is the release phase/);
});

t.test('instances: web first, one of each type unless counted, zero stops a type', async (t) => {
  const types = processTypes(procfile, '');
  t.same(planInstances(types, {}).map((p) => p.label), ['web.1', 'clock.1', 'worker.1']);
  t.same(planInstances(types, { web: 2, worker: 0 }).map((p) => `${p.label}=${p.command}`),
    ['web.1=node web.js', 'web.2=node web.js', 'clock.1=node clock.js']);
  t.same(unknownTypes(types, { web: 1, mailer: 2 }), ['mailer']);
  t.equal(typeOf('worker.12'), 'worker');
  t.equal(typeOf(undefined), 'web');
});
