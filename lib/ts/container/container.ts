// Containers on disk and in LXC: prepare (config, overlay dirs, env files),
// start under a detached supervisor, stop, destroy. Rendering is in
// lxc-config.ts; the Unix work is lib/sh/container-*.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  bindMount, cgroupLimits, overlayMount, renderContainerConfig,
  type CgroupVersion, type ContainerNet,
} from './lxc-config.js';
import type { ShipPaths } from '../core/paths.js';
import { runOrThrow, runScript } from '../core/sh.js';
import { writeContainerHosts } from './hosts.js';
import { ensureBaseOwner } from './base-owner.js';
import type { ContainerIds } from './idmap.js';

export function cgroupLayout(): { memory: CgroupVersion; pids: CgroupVersion } {
  const v = (controller: string): CgroupVersion => (existsSync(`/sys/fs/cgroup/${controller}/cgroup.procs`) ? 1 : 2);
  return { memory: v('memory'), pids: v('pids') };
}

/**
 * Make sure a base image exists (building the host-stack base takes well
 * under a second), owned by the ids its containers run with.
 */
export async function ensureBase(paths: ShipPaths, lxcDir: string, base: string, ids: ContainerIds, onLine?: (l: string) => void): Promise<{ rootfs: string; conf: string }> {
  if (!/^(host|debian)$/.test(base)) throw new Error(`unknown container base '${base}' (host or debian)`);
  const dir = paths.base(base);
  const recipe = join(lxcDir, `base-${base}`);
  if (!existsSync(join(dir, 'ready')) || !baseMatchesRecipe(join(dir, 'ready'), recipe)) {
    mkdirSync(paths.bases, { recursive: true, mode: 0o711 });
    // The recipe works on a tree owned by the host's ids (a reused debootstrap included).
    if (existsSync(join(dir, 'rootfs'))) ensureBaseOwner(dir, 0);
    await runOrThrow(join(lxcDir, `base-${base}`), [dir], { onLine: onLine ? (l) => onLine(l) : undefined, timeoutSeconds: 1800 });
    rmSync(join(dir, 'owner'), { force: true });
  }
  ensureBaseOwner(dir, ids.root);
  return { rootfs: join(dir, 'rootfs'), conf: readFileSync(join(dir, 'base.conf'), 'utf8') };
}

/** A directory owned by uid:gid with mode, made or fixed. */
function ownedDir(dir: string, uid: number, gid: number, mode: number): void {
  mkdirSync(dir, { recursive: true });
  chownSync(dir, uid, gid);
  chmodSync(dir, mode);
}

/** A file only the container's root reads: owned by it, never world-readable. */
function containerFile(file: string, text: string, ids: ContainerIds, mode = 0o600): void {
  writeFileSync(file, text, { mode });
  chownSync(file, ids.root, ids.root);
  chmodSync(file, mode);
}

/** A base records the sha256 of the recipe that built it; a new recipe rebuilds it. */
function baseMatchesRecipe(readyFile: string, recipe: string): boolean {
  const want = createHash('sha256').update(readFileSync(recipe)).digest('hex');
  return readFileSync(readyFile, 'utf8').split('\n').includes(`recipe=${want}`);
}

export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function envFileText(env: Record<string, string>): string {
  return Object.keys(env)
    .filter((k) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
    .sort()
    .map((k) => `export ${k}=${shellQuote(env[k])}\n`)
    .join('');
}

export interface AppContainerInput {
  name: string;
  base: string;
  slugApp: string;               // the built app (lower layer of /app)
  web: string;                   // web command
  env: Record<string, string>;   // orders exports (PORT included)
  net: ContainerNet;
  memory: string;
  pids: number;
  containerShDir: string;         // lib/sh/container, mounted read-only at /starphleet
  lxcDir: string;
  ids: ContainerIds;
}

/**
 * A container's tree (ROOT/containers/NAME) belongs to its root: LXC sets up
 * the rootfs as that mapped uid. Its overlay's upper dirs are the
 * container's; the config and lxc.log stay root's.
 */
function containerTree(dir: string, ids: ContainerIds): void {
  ownedDir(dir, ids.root, ids.root, 0o700);
  ownedDir(join(dir, 'delta'), ids.root, ids.root, 0o755);
}

/** The runtimes the ship fetched (its default Node.js), read-only at /starphleet-runtimes, when it has any. */
function runtimesMount(paths: ShipPaths): string[] {
  return existsSync(paths.runtimes) ? [bindMount(paths.runtimes, 'starphleet-runtimes', true)] : [];
}

export async function prepareAppContainer(paths: ShipPaths, input: AppContainerInput): Promise<void> {
  const dir = paths.container(input.name);
  const { ids } = input;
  const base = await ensureBase(paths, input.lxcDir, input.base, ids);
  containerTree(dir, ids);
  ownedDir(join(dir, 'app-upper'), ids.app, ids.app, 0o755);
  ownedDir(join(dir, 'app-work'), ids.root, ids.root, 0o700);
  ownedDir(join(dir, 'env'), ids.root, ids.root, 0o700);
  containerFile(join(dir, 'env', 'web'), `${input.web}\n`, ids);
  containerFile(join(dir, 'env', 'orders.env'), envFileText(input.env), ids);
  const config = renderContainerConfig({
    name: input.name,
    kind: 'app',
    dir,
    baseName: input.base,
    baseRootfs: base.rootfs,
    baseConf: base.conf,
    net: input.net,
    idmap: ids.range ?? undefined,
    cgroup: cgroupLimits(input.memory, input.pids, cgroupLayout()),
    mounts: [
      overlayMount(input.slugApp, join(dir, 'app-upper'), join(dir, 'app-work'), 'app'),
      bindMount(input.containerShDir, 'starphleet', true),
      bindMount(join(dir, 'env'), 'starphleet-env', true),
      ...runtimesMount(paths),
    ],
  }, input.lxcDir);
  writeFileSync(join(dir, 'config'), config, { mode: 0o600 });
  // Its own name in its /etc/hosts (the hostname lxc-config gives it).
  writeContainerHosts(dir, base.rootfs, input.name.slice(0, 63), input.net.ip, ids.root, ids.app);
}

export interface BuildContainerInput {
  name: string;
  base: string;
  buildId: string;
  buildDir: string;   // host dir mounted at /tmp/build_<id>
  cacheDir: string;
  envDir: string;
  metaDir: string;
  memory: string;
  pids: number;
  containerShDir: string;
  buildpacksDir: string;
  lxcDir: string;
  ids: ContainerIds;
  net: ContainerNet;   // a port of its own on the ship's bridge (its own loopback, not the host's)
}

export async function prepareBuildContainer(paths: ShipPaths, input: BuildContainerInput, onLine?: (l: string) => void): Promise<void> {
  const dir = paths.container(input.name);
  const base = await ensureBase(paths, input.lxcDir, input.base, input.ids, onLine);
  containerTree(dir, input.ids);
  const config = renderContainerConfig({
    name: input.name,
    kind: 'build',
    dir,
    baseName: input.base,
    baseRootfs: base.rootfs,
    baseConf: base.conf,
    net: input.net,
    idmap: input.ids.range ?? undefined,
    cgroup: cgroupLimits(input.memory, input.pids, cgroupLayout()),
    mounts: [
      bindMount(input.buildDir, `tmp/build_${input.buildId}`, false),
      bindMount(input.cacheDir, 'tmp/cache', false),
      bindMount(input.envDir, 'tmp/env', true),
      bindMount(input.metaDir, 'tmp/meta', false),
      bindMount(input.containerShDir, 'starphleet', true),
      bindMount(input.buildpacksDir, 'starphleet-buildpacks', true),
      ...runtimesMount(paths),
    ],
  }, input.lxcDir);
  writeFileSync(join(dir, 'config'), config, { mode: 0o600 });
  writeContainerHosts(dir, base.rootfs, input.name.slice(0, 63), input.net.ip, input.ids.root, input.ids.app);
}

/**
 * Start the container under its own detached supervisor (lib/c/supervise.c,
 * a few hundred KiB per container). secrets (the phleet secrets as
 * `export NAME='value'` lines, decrypted in memory) go to the supervisor
 * through a pipe on its stdin, never argv or a file; it hands them on
 * through another pipe, inherited by lxc-execute and the container as fd 3,
 * which lib/sh/container/app-start reads.
 */
export function startSupervised(paths: ShipPaths, tools: { sh: string; libexec: string }, name: string, secrets: Buffer = Buffer.alloc(0)): void {
  const child = spawn(`${tools.libexec}/starphleet-supervise`, [
    '--secrets-stdin', paths.containerLog(name), paths.supervisorPid(name), paths.supervisorExit(name),
    `${tools.sh}/container-run`, paths.lxcpath, name, '/starphleet/app-start', '--secrets-fd', '3',
  ], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
    env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' },
  });
  child.on('error', () => undefined); // not there: the healer sees no supervisor and says so
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(secrets);
  child.unref();
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie answers signal 0 but is dead; without a reaping init (containers,
  // CI) a killed agent can stay one for a long time.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

export function readPid(file: string): number | null {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

export function supervisorAlive(paths: ShipPaths, name: string): boolean {
  const pid = readPid(paths.supervisorPid(name));
  return pid !== null && pidAlive(pid);
}

/** The container's exit status once its supervisor has recorded one. */
export function exitStatus(paths: ShipPaths, name: string): number | null {
  try {
    return Number(readFileSync(paths.supervisorExit(name), 'utf8').trim());
  } catch {
    return null;
  }
}

/** lxc-info says it runs (its init started). */
export async function containerRunning(lxcpath: string, name: string): Promise<boolean> {
  const r = await runScript('lxc-info', ['-P', lxcpath, '-n', name, '-s', '-H'], { timeoutSeconds: 10 }).catch(() => null);
  return r !== null && r.code === 0 && r.stdout.trim() === 'RUNNING';
}

export async function stopContainer(paths: ShipPaths, shDir: string, name: string, graceSeconds: number): Promise<void> {
  await runOrThrow(`${shDir}/container-stop`, [paths.lxcpath, name, String(graceSeconds)], { timeoutSeconds: graceSeconds + 30 });
}

export async function destroyContainer(paths: ShipPaths, shDir: string, name: string): Promise<void> {
  await runOrThrow(`${shDir}/container-destroy`, [paths.lxcpath, name], { timeoutSeconds: 60 });
}
