// Pure rendering of a container's LXC config from lxc/container.conf.njk.
import { templateEnvironment } from '../core/templates.js';

export interface ContainerNet {
  bridge: string;
  ip: string;
  prefix: number;
  gateway: string;
  mac: string;
  upScript?: string;   // run on the host when its veth is up (veth-isolate)
}

export interface ContainerSpec {
  name: string;
  kind: 'app' | 'build';
  dir: string;            // LXCPATH/NAME
  baseName: string;
  baseRootfs: string;
  baseConf: string;       // the base's own lines (lxc/base-*)
  net?: ContainerNet;     // absent: no network of its own (the host's)
  idmap?: { first: number; count: number };   // absent: the host's user namespace
  cgroup: Record<string, string>;
  mounts: string[];       // lxc.mount.entry values
}

export type CgroupVersion = 1 | 2;

/** Memory and pids limits with the keys the running cgroup layout honours. */
export function cgroupLimits(memory: string, pids: number, layout: { memory: CgroupVersion; pids: CgroupVersion }): Record<string, string> {
  const bytes = toBytes(memory);
  return {
    [layout.memory === 1 ? 'lxc.cgroup.memory.limit_in_bytes' : 'lxc.cgroup2.memory.max']: String(bytes),
    [layout.pids === 1 ? 'lxc.cgroup.pids.max' : 'lxc.cgroup2.pids.max']: String(pids),
  };
}

export function toBytes(size: string): number {
  const m = /^(\d+)([KMG]?)$/.exec(size.trim());
  if (!m) throw new Error(`memory limit must look like 512M or 2G, got '${size}'`);
  const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2] as '' | 'K' | 'M' | 'G'];
  return Number(m[1]) * unit;
}

/** A bind mount entry; paths with whitespace cannot be expressed and are refused. */
export function bindMount(source: string, target: string, readOnly: boolean, create: 'dir' | 'file' = 'dir'): string {
  for (const p of [source, target]) {
    if (/[\s,]/.test(p)) throw new Error(`path not usable in an LXC mount entry: '${p}'`);
  }
  // nosuid,nodev: nothing bound in gains privileges or reaches a device.
  return `${source} ${target.replace(/^\/+/, '')} none ${readOnly ? 'ro,' : ''}bind,nosuid,nodev,create=${create} 0 0`;
}

export function overlayMount(lower: string, upper: string, work: string, target: string): string {
  for (const p of [lower, upper, work, target]) {
    if (/[\s,:]/.test(p)) throw new Error(`path not usable in an overlay mount: '${p}'`);
  }
  return `overlay ${target.replace(/^\/+/, '')} overlay nosuid,nodev,lowerdir=${lower},upperdir=${upper},workdir=${work},create=dir 0 0`;
}

export function renderContainerConfig(spec: ContainerSpec, lxcDir: string): string {
  const env = templateEnvironment(lxcDir, { autoescape: false, throwOnUndefined: false });
  const hostname = spec.name.slice(0, 63);
  return env.render('container.conf.njk', { ...spec, hostname });
}
