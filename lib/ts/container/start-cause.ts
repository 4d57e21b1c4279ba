// Why an app exited before it was healthy (or crashed): the cause line of
// the last of its output in its log file (npm's `Missing script`, a Python
// traceback's exception, `command not found`), read bounded.
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { failureCause } from '../build/failure-cause.js';
import { parseSupervisorLine } from './supervisor-line.js';

const TAIL_BYTES = 64 * 1024;

/** The tail of a file, at most `bytes` of it. */
function tail(file: string, bytes: number): string {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, bytes);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** orLast: with no recognised cause, the last line it wrote to stderr (else stdout) — for a release phase, whose output is the app's own. */
export function startFailureCause(logFile: string, opts: { orLast?: boolean } = {}): string | null {
  if (!existsSync(logFile)) return null;
  const parsed = tail(logFile, TAIL_BYTES).split('\n').map((l) => parseSupervisorLine(l)).filter((l) => l.stream !== null && l.text.trim() !== '');
  const cause = failureCause(parsed.map((l) => l.text));
  if (cause || !opts.orLast) return cause;
  const last = parsed.filter((l) => l.stream === 'stderr').pop() ?? parsed.pop();
  return last ? last.text.trim().slice(0, 300) : null;
}
