// Memory a container uses, read from its cgroup: memory.current (cgroup v2)
// or memory.usage_in_bytes (v1). LXC names the cgroup lxc.payload.NAME, at
// the cgroup root or under the cgroup of the process that started it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the v1 CONTROLLER hierarchy or the v2 tree is mounted, and this pid's path in it. */
export function cgroupDirsOf(pid: number | null, controller: string): string[] {
  const dirs: string[] = [];
  let text = '';
  try { text = readFileSync(`/proc/${pid ?? 'self'}/cgroup`, 'utf8'); } catch { /* gone */ }
  for (const line of text.split('\n')) {
    const [, controllers, path] = line.split(':');
    if (path === undefined) continue;
    const names = controllers.split(',');
    if (names.includes(controller)) dirs.push(join('/sys/fs/cgroup', names.join(','), path));
    else if (controllers === '' && line.startsWith('0::')) dirs.push(join('/sys/fs/cgroup', path));
  }
  return dirs;
}

export function memoryCandidates(name: string, starterPid: number | null): string[] {
  const leaf = `lxc.payload.${name}`;
  const files: string[] = [
    `/sys/fs/cgroup/memory/${leaf}/memory.usage_in_bytes`,
    `/sys/fs/cgroup/${leaf}/memory.current`,
  ];
  for (const dir of cgroupDirsOf(starterPid, 'memory')) {
    const file = dir.startsWith('/sys/fs/cgroup/memory') ? 'memory.usage_in_bytes' : 'memory.current';
    files.push(join(dir, leaf, file), join(dir, '..', leaf, file));
  }
  return files;
}

/** Bytes in use by the container's cgroup, or null when it has none (stopped) or it cannot be read. */
export function containerMemoryBytes(name: string, starterPid: number | null = null): number | null {
  for (const file of memoryCandidates(name, starterPid)) {
    try {
      const n = Number(readFileSync(file, 'utf8').trim());
      if (Number.isFinite(n)) return n;
    } catch { /* try the next */ }
  }
  return null;
}
