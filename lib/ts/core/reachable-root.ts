// A ship root under a private folder (mktemp -d, /root: mode 0700) cannot be
// reached by nginx's unprivileged workers (the dashboard's and the holds'
// sockets, the ACME webroot) nor by the container's root uid while LXC sets up
// its mounts. Such a root is then reached through a bind mount of it at
// /run/starphleet/roots/<hash>: the same folder, under parents anyone can
// traverse. The ship's own code uses that path; the user's --root stays the
// name it goes by. `ship down` removes the mount.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, chmodSync, realpathSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runOrThrow } from './sh.js';

export const ROOTS_DIR = '/run/starphleet/roots';

/** The first ancestor of dir that others cannot traverse, or null. */
export function closedAncestor(dir: string): string | null {
  for (let d = dirname(dir); d !== '/'; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return d;
  }
  return null;
}

/** Where a root is reached when its parent is private (a pure name). */
export function aliasFor(root: string): string {
  return join(ROOTS_DIR, createHash('sha256').update(root).digest('hex').slice(0, 16));
}

function sameFolder(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

function canonical(root: string): string {
  return existsSync(root) ? realpathSync(root) : root;
}

/** The path the ship's code uses for root: its alias when one is mounted, else root itself. */
export function reachableRoot(root: string): string {
  const alias = aliasFor(canonical(root));
  return sameFolder(alias, root) ? alias : root;
}

/**
 * At `ship run`: a root under a private parent is bind-mounted at its alias
 * (once; a restarted agent finds it there). Returns the path to use.
 */
export async function openReachableRoot(root: string): Promise<string> {
  mkdirSync(root, { recursive: true });
  const real = realpathSync(root);
  const closed = closedAncestor(real);
  if (!closed) return root;
  const alias = aliasFor(real);
  if (sameFolder(alias, real)) return alias;
  for (const d of [dirname(ROOTS_DIR), ROOTS_DIR]) {
    mkdirSync(d, { recursive: true, mode: 0o711 });
    chmodSync(d, 0o711);
  }
  mkdirSync(alias, { recursive: true, mode: 0o711 });
  try {
    await runOrThrow('mount', ['--bind', real, alias]);
  } catch (err) {
    throw new Error(`${closed} is not traversable by others and ${real} cannot be bind-mounted at ${alias} (${(err as Error).message}): chmod o+x ${closed}, or choose another --root`);
  }
  return alias;
}

/** At `ship down`: the alias goes (lazily: nothing may be using it by then, but a stray open must not fail the stop). */
export async function closeReachableRoot(root: string): Promise<void> {
  const alias = aliasFor(canonical(root));
  if (!existsSync(alias)) return;
  if (sameFolder(alias, root)) await runOrThrow('umount', ['-l', alias]);
  rmdirSync(alias);
  for (const d of [ROOTS_DIR, dirname(ROOTS_DIR)]) {
    try {
      rmdirSync(d);
    } catch {
      break; // another ship's alias is still there
    }
  }
}
