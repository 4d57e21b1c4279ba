import t from 'tap';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostsWithName, writeContainerHosts } from '../../../lib/ts/container/hosts.js';

t.test('hostsWithName adds the container name once, keeps the rest', async (t) => {
  const base = '127.0.0.1 localhost\n# a comment\n127.0.0.1 vm\n::1 localhost ip6-localhost\n';
  const out = hostsWithName(base, 'api-123456--abcdef12-3', '10.0.3.7');
  t.equal(out, `${base}10.0.3.7 api-123456--abcdef12-3\n`);
  t.equal(hostsWithName(out, 'api-123456--abcdef12-3', '10.0.3.8').match(/api-123456/g)?.length, 1, 'a stale line for the name is replaced');
  t.equal(hostsWithName('', 'x', '10.0.3.2'), '10.0.3.2 x\n');
  t.equal(hostsWithName('127.0.0.1 localhost', 'x', '10.0.3.2'), '127.0.0.1 localhost\n10.0.3.2 x\n', 'no final newline in the base');
});

t.test('writeContainerHosts writes DIR/delta/etc/hosts from the base rootfs', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-hosts-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'rootfs', 'etc'), { recursive: true });
  writeFileSync(join(dir, 'rootfs', 'etc', 'hosts'), '127.0.0.1 localhost\n');
  writeContainerHosts(join(dir, 'c'), join(dir, 'rootfs'), 'svc-1', '10.0.3.9');
  t.equal(readFileSync(join(dir, 'c', 'delta', 'etc', 'hosts'), 'utf8'), '127.0.0.1 localhost\n10.0.3.9 svc-1\n');
  writeContainerHosts(join(dir, 'd'), join(dir, 'no-rootfs'), 'svc-2', '10.0.3.10');
  t.equal(readFileSync(join(dir, 'd', 'delta', 'etc', 'hosts'), 'utf8'), '127.0.0.1 localhost\n10.0.3.10 svc-2\n');
});
