// Reading a file that a user's repo or build wrote, on the host: never
// through a link that leaves its tree (a `healthcheck` that links to the
// ship's token, a Procfile that links to /etc/shadow), and never more than a
// few bytes. A link inside the tree (Procfile → Procfile.prod) is fine.
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { join, relative, isAbsolute } from 'node:path';

export const TREE_FILE_MAX_BYTES = 64 * 1024;

/**
 * The text of ROOT/REL, or null when there is no such file. Throws a
 * one-line error naming REL when it leads outside ROOT, is not a plain file,
 * or is larger than maxBytes.
 */
export function readTreeFile(root: string, rel: string, maxBytes = TREE_FILE_MAX_BYTES, label = rel): string | null {
  let real: string;
  try {
    real = realpathSync(join(root, rel));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null; // absent, or a dangling link: nothing to read
    throw new Error(`${label}: cannot be read (${code ?? (err as Error).message})`);
  }
  const inside = relative(realpathSync(root), real);
  if (inside.startsWith('..') || isAbsolute(inside)) throw new Error(`${label}: is a link that leaves the app's tree (not followed)`);
  const fd = openSync(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`${label}: is not a plain file`);
    if (st.size > maxBytes) throw new Error(`${label}: is larger than ${maxBytes} bytes`);
    const buf = Buffer.alloc(st.size);
    const n = st.size > 0 ? readSync(fd, buf, 0, st.size, 0) : 0;
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
