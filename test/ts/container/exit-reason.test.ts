import t from 'tap';
import { describeExit } from '../../../lib/ts/container/exit-reason.js';

t.test('exit statuses read as what happened', async (t) => {
  t.equal(describeExit(3, '1024M'), 'exited with status 3');
  t.equal(describeExit(0, '1024M'), 'exited with status 0');
  t.equal(describeExit(null, '1024M'), 'exited with status unknown');
  t.equal(describeExit(137, '128M'), 'exited with status 137 (SIGKILL: killed from outside the app, by a kill -9 or by its memory limit of 128M if it reached it: MEMORY_LIMIT in the orders)');
  t.equal(describeExit(139, '1024M'), 'exited with status 139 (SIGSEGV)');
  t.equal(describeExit(143, '1024M'), 'exited with status 143 (SIGTERM)');
  t.equal(describeExit(162, '1024M'), 'exited with status 162 (signal 34)');
  t.equal(describeExit(255, '1024M'), 'exited with status 255');
});
