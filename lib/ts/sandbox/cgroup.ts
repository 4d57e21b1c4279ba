// A cgroup of its own for a host-side step (reading orders): bounded pids and
// memory, and one call that ends everything in it. A process group is not
// enough: `setsid` leaves it. cgroup v2 (stock Debian 12) ends a group with
// cgroup.kill; on cgroup v1 the group is frozen, every member killed, thawed.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CGROUP_ROOT = '/sys/fs/cgroup';

export interface Jail {
  /** The cgroup.procs files a process writes its pid to, to join (lib/sh/host/cgroup-exec). */
  procsFiles: string[];
  /** End every process in it (best effort; repeats until it is empty). */
  kill(): void;
  /** Remove the cgroup (after kill). */
  remove(): void;
}

export interface JailLimits {
  pids: number;
  memoryBytes: number;
}

function unified(): boolean {
  return existsSync(join(CGROUP_ROOT, 'cgroup.controllers'));
}

function tryWrite(file: string, value: string): void {
  try { writeFileSync(file, value); } catch { /* a controller this kernel lacks: not fatal */ }
}

function members(procsFile: string): number[] {
  try {
    return readFileSync(procsFile, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Whether this host lets the ship make cgroups (root, a writable hierarchy). */
export function jailsAvailable(): boolean {
  return unified() ? existsSync(join(CGROUP_ROOT, 'cgroup.subtree_control')) : existsSync(join(CGROUP_ROOT, 'pids'));
}

export function makeJail(name: string, limits: JailLimits): Jail {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`bad cgroup name '${name}'`);
  if (unified()) return unifiedJail(name, limits);
  return legacyJail(name, limits);
}

function unifiedJail(name: string, limits: JailLimits): Jail {
  const parent = join(CGROUP_ROOT, 'starphleet');
  mkdirSync(parent, { recursive: true });
  tryWrite(join(parent, 'cgroup.subtree_control'), '+pids +memory');
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  tryWrite(join(dir, 'pids.max'), String(limits.pids));
  tryWrite(join(dir, 'memory.max'), String(limits.memoryBytes));
  tryWrite(join(dir, 'memory.swap.max'), '0');
  const procs = join(dir, 'cgroup.procs');
  return {
    procsFiles: [procs],
    kill() {
      if (existsSync(join(dir, 'cgroup.kill'))) tryWrite(join(dir, 'cgroup.kill'), '1');
      for (let i = 0; i < 50 && members(procs).length > 0; i++) for (const pid of members(procs)) killPid(pid);
    },
    remove() { removeDirs([dir]); },
  };
}

function legacyJail(name: string, limits: JailLimits): Jail {
  const dirs: Record<string, string> = {};
  for (const controller of ['pids', 'memory', 'freezer']) {
    const base = join(CGROUP_ROOT, controller);
    if (!existsSync(base)) continue;
    const dir = join(base, 'starphleet', name);
    mkdirSync(dir, { recursive: true });
    dirs[controller] = dir;
  }
  if (dirs.pids) tryWrite(join(dirs.pids, 'pids.max'), String(limits.pids));
  if (dirs.memory) {
    tryWrite(join(dirs.memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
    tryWrite(join(dirs.memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes));
  }
  const procsFiles = Object.values(dirs).map((d) => join(d, 'cgroup.procs'));
  const census = dirs.pids ? join(dirs.pids, 'cgroup.procs') : procsFiles[0];
  return {
    procsFiles,
    kill() {
      // Frozen, a fork bomb cannot outrun the kill loop; killed, it is thawed to die.
      const freezer = dirs.freezer ? join(dirs.freezer, 'freezer.state') : null;
      for (let i = 0; i < 50 && census && members(census).length > 0; i++) {
        if (freezer) tryWrite(freezer, 'FROZEN');
        for (const pid of members(census)) killPid(pid);
        if (freezer) tryWrite(freezer, 'THAWED');
      }
    },
    remove() { removeDirs(Object.values(dirs)); },
  };
}

/**
 * Remove the jails an agent killed mid-step left behind: those named
 * PREFIX...-PID whose PID is not running (other ships on this host keep theirs).
 */
export function clearStaleJails(prefix: string): string[] {
  const parents = unified() ? [join(CGROUP_ROOT, 'starphleet')]
    : ['pids', 'memory', 'freezer'].map((c) => join(CGROUP_ROOT, c, 'starphleet'));
  const cleared = new Set<string>();
  for (const parent of parents) {
    if (!existsSync(parent)) continue;
    for (const name of readdirSync(parent)) {
      const pid = Number(/-(\d+)$/.exec(name)?.[1] ?? NaN);
      if (!name.startsWith(prefix) || !Number.isInteger(pid) || alive(pid)) continue;
      const dir = join(parent, name);
      for (const p of members(join(dir, 'cgroup.procs'))) killPid(p);
      removeDirs([dir]);
      cleared.add(name);
    }
  }
  return [...cleared];
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}

function killPid(pid: number): void {
  try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
}

function removeDirs(dirs: string[]): void {
  for (const dir of dirs) {
    // A killed process leaves its cgroup a moment after SIGKILL.
    for (let i = 0; i < 200; i++) {
      try { rmdirSync(dir); break; } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        if (code !== 'EBUSY' || i === 199) break;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      }
    }
  }
}
