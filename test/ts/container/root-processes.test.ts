import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isShipProcess, rootProcesses, stopRootProcesses } from '../../../lib/ts/container/root-processes.js';

const R = '/srv/ship';

t.test('the ship\'s own processes are known by their command line; an admiral\'s shell is not', async (t) => {
  t.ok(isShipProcess(['/srv/ship/bin/starphleet', 'ship', 'supervise', '--root', R], '/srv/ship/bin/starphleet', 'starphleet', [R]));
  t.ok(isShipProcess([`${R}/assets/h/lib/libexec/starphleet-supervise`, '--secrets-stdin', `${R}/logs/c1.log`], `${R}/assets/h/lib/libexec/starphleet-supervise`, 'starphleet-supe', [R]), 'a supervisor');
  t.ok(isShipProcess(['nginx: master process nginx', '-p', `${R}/nginx`], '/usr/sbin/nginx', 'nginx', [R]));
  t.ok(isShipProcess(['lxc-execute', '-P', `${R}/containers`, '-n', 'c1'], '/usr/bin/lxc-execute', 'lxc-execute', [R]));
  t.ok(isShipProcess(['git', `--git-dir=${R}/repos/x.git`, 'fetch'], '/usr/bin/git', 'git', [R]));
  t.ok(isShipProcess(['bash', `${R}/assets/lib/sh/host/ship-keepalive`, R, 'bin'], '/usr/bin/bash', 'bash', [R]));
  t.notOk(isShipProcess(['tail', '-f', `${R}/logs/agent.log`], '/usr/bin/tail', 'tail', [R]), 'an admiral reading a log');
  t.notOk(isShipProcess(['vim', `${R}/ship.env`], '/usr/bin/vim', 'vim', [R]));
  t.notOk(isShipProcess(['nginx: master process nginx', '-p', '/srv/ship10/nginx'], '/usr/sbin/nginx', 'nginx', [R]), 'another root that starts the same');
  t.notOk(isShipProcess(['git', 'fetch'], '/usr/bin/git', 'git', [R]), 'no root in its arguments');
});

t.test('a leftover script of a root is found and stopped (TERM, then KILL when it ignores TERM)', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'sp-rootproc-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const script = join(root, 'stubborn');
  // It starts a child that names no root (as `npm view` under a lookup script).
  writeFileSync(script, '#!/bin/bash\ntrap "" TERM\nsleep 300 &\nwhile :; do sleep 0.1; done\n');
  chmodSync(script, 0o755);
  const child = spawn('bash', [script, root], { stdio: 'ignore', detached: true });
  child.unref();
  await new Promise((r) => setTimeout(r, 300));
  const found = rootProcesses([root]);
  t.ok(found.some((p) => p.pid === child.pid), 'the script');
  t.ok(found.some((p) => p.command === 'sleep 300'), 'and its child');
  const stopped = await stopRootProcesses([root], 200);
  t.ok(stopped.some((p) => p.pid === child.pid) && stopped.some((p) => p.command === 'sleep 300'));
  await new Promise((r) => setTimeout(r, 200));
  t.same(rootProcesses([root]), [], 'nothing of the root runs');
});
