// bench/density's memory reading: for each supervisor pid given, the PSS of
// its whole process tree (smaps_rollup), split into what the platform runs
// beside the app (supervisor, lxc-execute, the container's init and start
// wrappers, npm) and the app's own processes, plus the totals by command.
// usage: node pss-tree.mjs PID... ; prints one JSON line.
import { readdirSync, readFileSync } from 'node:fs';

const PLATFORM = new Set(['starphleet', 'starphleet-supe', 'lxc-execute', 'lxc-start', 'init.lxc', 'init.lxc.static', 'lxc-init', 'app-start', 'npm', 'npm start', 'sh', 'bash']);
const children = new Map();
const comm = new Map();
for (const d of readdirSync('/proc')) {
  if (!/^\d+$/.test(d)) continue;
  try {
    const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    comm.set(Number(d), readFileSync(`/proc/${d}/comm`, 'utf8').trim());
  } catch { /* gone */ }
}
const pss = (pid) => {
  try { return Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0) * 1024; } catch { return 0; }
};
let platform = 0;
let app = 0;
const byCommand = {};
for (const root of process.argv.slice(2).map(Number)) {
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift();
    const c = comm.get(pid) ?? '?';
    const bytes = pss(pid);
    if (PLATFORM.has(c)) platform += bytes; else app += bytes;
    byCommand[c] = (byCommand[c] ?? 0) + bytes;
    queue.push(...(children.get(pid) ?? []));
  }
}
console.log(JSON.stringify({ services: process.argv.length - 2, platformBytes: platform, appBytes: app, byCommand }));
