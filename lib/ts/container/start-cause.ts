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

export function startFailureCause(logFile: string): string | null {
  if (!existsSync(logFile)) return null;
  const lines = tail(logFile, TAIL_BYTES).split('\n').map((l) => parseSupervisorLine(l)).filter((l) => l.stream !== null).map((l) => l.text);
  return failureCause(lines);
}
