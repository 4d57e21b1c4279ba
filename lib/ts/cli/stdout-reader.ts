// Does anyone still read our stdout? `logs --follow | grep -m1 X` must end
// when grep does, but a quiet stream writes nothing, so no EPIPE comes, and
// the runtime gives no other sign. When stdout is a pipe, the processes that
// hold its read end are in /proc: none left means the reader is gone.
import { fstatSync, readdirSync, readFileSync, statSync } from 'node:fs';

/** 'yes', 'no', or 'unknown' (not a pipe, or processes this user cannot see). */
export function pipeReaderState(fd = 1, proc = '/proc'): 'yes' | 'no' | 'unknown' {
  let ino: number;
  let dev: number;
  try {
    const st = fstatSync(fd);
    if (!st.isFIFO()) return 'unknown';
    ({ ino, dev } = st);
  } catch {
    return 'unknown';
  }
  let hidden = false;
  for (const pid of readdirSync(proc)) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    let fds: string[];
    try {
      fds = readdirSync(`${proc}/${pid}/fd`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EACCES') hidden = true;
      continue; // gone meanwhile, or not ours to see
    }
    for (const f of fds) {
      try {
        const st = statSync(`${proc}/${pid}/fd/${f}`); // the pipe itself (anonymous or named)
        if (st.ino !== ino || st.dev !== dev) continue;
        const flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`${proc}/${pid}/fdinfo/${f}`, 'utf8'));
        if (!flags || (parseInt(flags[1], 8) & 3) !== 1) return 'yes'; // O_WRONLY is 1: anything else reads
      } catch { /* closed meanwhile */ }
    }
  }
  return hidden ? 'unknown' : 'no';
}

/** Calls onGone (once) when stdout is a pipe whose readers have all gone; returns a stop function. */
export function watchStdoutReader(onGone: () => void, everyMs = 1000): () => void {
  if (pipeReaderState() === 'unknown') return () => undefined;
  const timer = setInterval(() => {
    if (pipeReaderState() === 'no') {
      clearInterval(timer);
      onGone();
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
