// What still runs for a ship root after `ship down` stopped its agent,
// nginx and containers: a build, a git fetch or a supervisor the agent
// started and did not live to stop. They are found by their command line
// (the ship's own binary, nginx, LXC's tools, git, tar, or a script under the
// root naming the root), with everything they started, and stopped, so a
// removed ship leaves nothing behind.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { pidAlive } from './container.js';

/** Commands the ship starts that name its root in their arguments. */
const SHIP_COMMANDS = new Set(['nginx', 'lxc-execute', 'lxc-start', 'lxc-attach', 'lxc-stop', 'lxc-destroy', 'git', 'tar', 'timeout']);

export interface RootProcess { pid: number; command: string }

function ancestors(): Set<number> {
  const seen = new Set<number>([process.pid]);
  let pid: number | null = process.pid;
  for (let i = 0; i < 64 && pid !== null && pid > 1; i++) {
    pid = parentOf(pid);
    if (pid !== null) seen.add(pid);
  }
  return seen;
}

/** Whether argv (a process's arguments) is one of the ship's own, for a root in roots. */
export function isShipProcess(argv: string[], exe: string, comm: string, roots: string[]): boolean {
  const names = (a: string): boolean => roots.some((r) => a === r || a.startsWith(`${r}/`) || a.includes(`=${r}/`) || a.includes(` ${r}/`));
  if (!argv.some(names)) return false;
  if (roots.some((r) => exe.startsWith(`${r}/`))) return true;          // the ship's binary, under its root
  if (SHIP_COMMANDS.has(comm) || SHIP_COMMANDS.has(basename(argv[0] ?? ''))) return true;
  if (comm.startsWith('nginx') || (argv[0] ?? '').startsWith('nginx:')) return true;
  // A shell script of the ship's (bash ROOT/assets/...).
  return ['bash', 'sh', 'dash'].includes(basename(argv[0] ?? '')) && argv.length > 1 && roots.some((r) => (argv[1] ?? '').startsWith(`${r}/`));
}

function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch { return null; }
}

/** The ship's processes for these roots, and everything they started (`npm view` under a lookup script names no root). */
export function rootProcesses(roots: string[]): RootProcess[] {
  const skip = ancestors();
  const found = new Map<number, RootProcess>();
  const children = new Map<number, number[]>();
  const commands = new Map<number, string>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const pid = Number(d);
    const ppid = parentOf(pid);
    if (ppid !== null) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
    if (skip.has(pid)) continue;
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (argv.length === 0) continue;   // a zombie or a kernel thread
      commands.set(pid, argv.join(' ').slice(0, 120));
      let exe = '';
      try { exe = readlinkSync(`/proc/${pid}/exe`); } catch { /* gone or not ours to read */ }
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      if (isShipProcess(argv, exe, comm, roots)) found.set(pid, { pid, command: commands.get(pid) as string });
    } catch { /* gone */ }
  }
  const queue = [...found.keys()];
  while (queue.length) {
    for (const c of children.get(queue.shift() as number) ?? []) {
      if (found.has(c) || skip.has(c) || !commands.has(c)) continue;
      found.set(c, { pid: c, command: commands.get(c) as string });
      queue.push(c);
    }
  }
  return [...found.values()];
}

/** Wait up to graceMs for them to end by themselves, then TERM, then KILL; returns what had to be stopped. */
export async function stopRootProcesses(roots: string[], graceMs = 3000): Promise<RootProcess[]> {
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  const until = async (ms: number): Promise<RootProcess[]> => {
    const deadline = Date.now() + ms;
    let left = rootProcesses(roots);
    while (left.length && Date.now() < deadline) { await sleep(100); left = left.filter((p) => pidAlive(p.pid)); }
    return left;
  };
  const stubborn = await until(graceMs);
  if (stubborn.length === 0) return [];
  for (const p of stubborn) { try { process.kill(p.pid, 'SIGTERM'); } catch { /* gone */ } }
  const left = await until(2000);
  for (const p of left) { try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } }
  await until(1000);
  return stubborn;
}
