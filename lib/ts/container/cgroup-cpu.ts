// CPU time a container has used, read from its cgroup: cpu.stat's
// usage_usec (cgroup v2) or cpuacct.usage in nanoseconds (v1), found where
// cgroup-memory.ts finds the memory controller's files.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupDirsOf } from './cgroup-memory.js';

interface CpuFile { file: string; seconds: (text: string) => number }

const V1: (file: string) => CpuFile = (file) => ({ file, seconds: (t) => Number(t.trim()) / 1e9 });
const V2: (file: string) => CpuFile = (file) => ({
  file,
  seconds: (t) => Number(/^usage_usec (\d+)$/m.exec(t)?.[1] ?? NaN) / 1e6,
});

export function cpuCandidates(name: string, starterPid: number | null): CpuFile[] {
  const leaf = `lxc.payload.${name}`;
  const files: CpuFile[] = [V1(`/sys/fs/cgroup/cpuacct/${leaf}/cpuacct.usage`), V2(`/sys/fs/cgroup/${leaf}/cpu.stat`)];
  for (const dir of cgroupDirsOf(starterPid, 'cpuacct')) {
    const make = dir.includes('cpuacct') ? (d: string) => V1(join(d, 'cpuacct.usage')) : (d: string) => V2(join(d, 'cpu.stat'));
    files.push(make(join(dir, leaf)), make(join(dir, '..', leaf)));
  }
  return files;
}

/** CPU seconds used by the container's cgroup since it started, or null when it cannot be read. */
export function containerCpuSeconds(name: string, starterPid: number | null = null): number | null {
  for (const c of cpuCandidates(name, starterPid)) {
    try {
      const n = c.seconds(readFileSync(c.file, 'utf8'));
      if (Number.isFinite(n)) return n;
    } catch { /* try the next */ }
  }
  return null;
}
