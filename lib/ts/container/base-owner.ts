// A base's rootfs is owned by the ids its containers run with: a container's
// root (the ship range's first uid) must own /tmp, /etc and the rest, or the
// overlay cannot copy a file up (EOVERFLOW) when the container writes it.
// BASE/owner records the offset the tree was shifted to.
import { existsSync, lchownSync, lstatSync, readdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { RANGE_COUNT } from './idmap.js';

/** The id after moving from one range's start to another's; ids outside the old range stay. */
export function shiftedId(id: number, from: number, to: number): number {
  return id >= from && id < from + RANGE_COUNT ? id - from + to : id;
}

function shiftTree(dir: string, from: number, to: number, device: number): void {
  const st = lstatSync(dir);
  if (st.dev !== device) return; // something mounted here: never walk into it
  lchownSync(dir, shiftedId(st.uid, from, to), shiftedId(st.gid, from, to));
  // chown clears setuid/setgid bits; the tree keeps its modes.
  if (!st.isSymbolicLink()) chmodSync(dir, st.mode & 0o7777);
  if (!st.isDirectory()) return;
  for (const entry of readdirSync(dir)) shiftTree(join(dir, entry), from, to, device);
}

export function baseOwner(baseDir: string): number {
  const file = join(baseDir, 'owner');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) || 0 : 0;
}

/** Shift BASE/rootfs's ownership so that its root is host uid `to`. */
export function ensureBaseOwner(baseDir: string, to: number): boolean {
  const from = baseOwner(baseDir);
  if (from === to) return false;
  const rootfs = join(baseDir, 'rootfs');
  shiftTree(rootfs, from, to, lstatSync(rootfs).dev);
  writeFileSync(join(baseDir, 'owner'), `${to}\n`);
  return true;
}
