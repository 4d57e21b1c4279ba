// Whether each container's supervisor still runs, asked every heal tick (1 s)
// for every container. Its pid is read once from its pid file and kept with
// the process's start time (/proc/PID/stat field 22), so a tick costs one
// read of /proc/PID/stat, and a reused pid is never taken for the supervisor.
import { readFileSync } from 'node:fs';
import { pidAlive, readPid } from './container.js';

/** The start time of a live (not zombie) process from its /proc/PID/stat text; null when dead or a zombie. */
export function startTimeOf(stat: string): string | null {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return null;
  return fields[19] ?? null; // field 22 of the whole line: after pid and comm, the 20th
}

function startTime(pid: number): string | null {
  try {
    return startTimeOf(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

export class SupervisorWatch {
  private readonly known = new Map<string, { pid: number; start: string }>();

  constructor(private readonly pidFile: (name: string) => string, private readonly hasProc = ((): boolean => {
    try { readFileSync('/proc/self/stat'); return true; } catch { return false; }
  })()) {}

  alive(name: string): boolean {
    if (!this.hasProc) {
      const pid = readPid(this.pidFile(name));
      return pid !== null && pidAlive(pid);
    }
    const k = this.known.get(name);
    if (k) {
      if (startTime(k.pid) === k.start) return true;
      this.known.delete(name);
    }
    const pid = readPid(this.pidFile(name));
    if (pid === null) return false;
    const start = startTime(pid);
    if (start === null) return false;
    this.known.set(name, { pid, start });
    return true;
  }

  /** Forget the containers not in NAMES (stopped, destroyed). */
  keepOnly(names: Iterable<string>): void {
    const keep = new Set(names);
    for (const name of this.known.keys()) if (!keep.has(name)) this.known.delete(name);
  }
}
