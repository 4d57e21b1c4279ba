import t from 'tap';
import { parseProcfile, parseRelease, webCommand } from '../../../lib/ts/build/release.js';

t.test('Procfile parsing', async (t) => {
  t.same(parseProcfile('# comment\nweb: node server.js --port $PORT\nworker:   node w.js\r\n\nbad line\n'), {
    web: 'node server.js --port $PORT',
    worker: 'node w.js',
  });
});

t.test('bin/release YAML parsing', async (t) => {
  t.same(parseRelease('---\naddons: []\ndefault_process_types:\n  web: npm start\n'), { web: 'npm start' });
  t.same(parseRelease(''), {});
  t.same(parseRelease('default_process_types: {}\n'), {});
  t.throws(() => parseRelease('default_process_types: [\n'), /invalid YAML/);
});

t.test('the Procfile web line wins over the buildpack default', async (t) => {
  t.equal(webCommand('web: ./run', 'default_process_types:\n  web: npm start\n'), './run');
  t.equal(webCommand(null, 'default_process_types:\n  web: npm start\n'), 'npm start');
  t.equal(webCommand('worker: x', 'default_process_types:\n  web: npm start\n'), 'npm start');
  t.throws(() => webCommand(null, ''), /no web process/);
});
