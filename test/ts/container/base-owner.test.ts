import t from 'tap';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseOwner, ensureBaseOwner, shiftedId } from '../../../lib/ts/container/base-owner.js';

t.test('ids inside the old range move; others stay', async (t) => {
  t.equal(shiftedId(0, 0, 100000), 100000);
  t.equal(shiftedId(10000, 0, 100000), 110000);
  t.equal(shiftedId(110000, 100000, 0), 10000);
  t.equal(shiftedId(200000, 0, 100000), 200000);
});

t.test('a base tree is shifted once, keeping setuid bits and links', { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'base-owner-'));
  const rootfs = join(base, 'rootfs');
  mkdirSync(join(rootfs, 'tmp'), { recursive: true });
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  writeFileSync(join(rootfs, 'su'), '');
  chmodSync(join(rootfs, 'su'), 0o4755);
  mkdirSync(join(rootfs, 'nginx'));
  chownSync(join(rootfs, 'nginx'), 10000, 10000);
  symlinkSync('usr/bin', join(rootfs, 'bin'));
  t.equal(ensureBaseOwner(base, 100000), true);
  t.equal(baseOwner(base), 100000);
  t.equal(lstatSync(join(rootfs, 'tmp')).uid, 100000);
  t.equal(lstatSync(join(rootfs, 'tmp')).mode & 0o7777, 0o1777);
  t.equal(lstatSync(join(rootfs, 'su')).mode & 0o7777, 0o4755, 'chown cleared nothing');
  t.equal(lstatSync(join(rootfs, 'nginx')).uid, 110000);
  t.equal(lstatSync(join(rootfs, 'bin')).uid, 100000, 'the link itself, not its target');
  t.equal(ensureBaseOwner(base, 100000), false, 'already there');
  t.equal(ensureBaseOwner(base, 0), true);
  t.equal(lstatSync(join(rootfs, 'nginx')).uid, 10000, 'back to the host ids');
});
