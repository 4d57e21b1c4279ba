// Build: one commit of a service repo → a slug (the built /app plus its web
// command), in a one-shot build container. A slug is kept per commit, so a
// change of orders or a rollback to a built commit never rebuilds.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { destroyContainer, prepareBuildContainer } from '../container/container.js';
import type { ContainerIds } from '../container/idmap.js';
import type { ContainerNet } from '../container/lxc-config.js';
import { CappedLog } from '../logs/capped-file.js';
import type { ShipPaths } from '../core/paths.js';
import { packUrls } from './custom-packs.js';
import { EngineWarnings } from './engine-warnings.js';
import { failureCause } from './failure-cause.js';
import type { GitTarget } from '../git/resolve.js';
import { webCommand } from './release.js';
import { processTypes, releaseCommand } from '../process/process-plan.js';
import { runOrThrow, runScript } from '../core/sh.js';
import { readTreeFile, TREE_FILE_MAX_BYTES } from '../sandbox/tree-file.js';

export interface SlugMeta {
  commit: string;
  base?: string;        // the container base it was built on (and runs on)
  appBase?: string;     // the repo folder it was built from (orders APP_BASE)
  warning?: string;     // what the build warned of that may break the app (npm EBADENGINE)
  buildpack: string;
  web: string;
  processes?: Record<string, string>; // every process type with its command (web included); absent in older slugs: web only
  releaseCommand?: string;            // the Procfile's `release:` line: run once per release before its processes
  healthcheck?: string; // the repo's `healthcheck` file
  builtAt: string;
}

/** The pack's runtime is not in the base it was built on; `base` has it. */
export class NeedsBase extends Error {
  constructor(readonly base: string, readonly why: string) {
    super(`${why}: it builds on the ${base} base`);
  }
}

/** How much of one build's output goes to the log stream; the rest is in the build log only. */
const STREAMED_BYTES = 1024 * 1024;

export interface BuildContext {
  paths: ShipPaths;
  shDir: string;          // host scripts (build-run, git-export)
  containerShDir: string; // mounted at /starphleet in the build container
  lxcDir: string;
  buildpacksDir: string;
  memory: string;
  pids: number;
  timeoutSeconds: number;  // the whole build; its container (and all it started) is stopped then
  ids: ContainerIds;       // host ids of the build container's root and app user
  net: ContainerNet;       // the build slot's address on the ship's bridge
  subnet: string;          // the ship's subnet (a build reaches what is outside it, through NAT)
  /** Fetch a pack's repo on the host (into the repo cache, with the ship's key and deadline): its cache and commit. */
  fetchPack(target: GitTarget): Promise<{ cache: string; commit: string }>;
}

export function slugMetaPath(paths: ShipPaths, serviceId: string, key: string): string {
  return paths.slugMeta(serviceId, key);
}

/**
 * Where a slug is kept: per commit, and per APP_BASE folder and orders
 * BUILDPACK_URL when there are (the same commit built from another folder,
 * or with another pack, is another slug).
 */
export function slugKey(commit: string, appBase: string, buildpackUrl = ''): string {
  if (appBase === '' && buildpackUrl === '') return commit;
  return `${commit}-${createHash('sha256').update(`${appBase}\0${buildpackUrl}`).digest('hex').slice(0, 8)}`;
}

export function readSlug(paths: ShipPaths, serviceId: string, key: string): SlugMeta | null {
  const file = slugMetaPath(paths, serviceId, key);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as SlugMeta) : null;
}

export function buildLogPath(paths: ShipPaths, serviceId: string, commit: string): string {
  return paths.buildLog(serviceId, commit);
}

/** "build-<service id>-<commit8>.log" → its service id and commit prefix; null for any other file. */
export function parseBuildLogName(file: string): { serviceId: string; commit8: string } | null {
  const m = /^build-(.+)-([0-9a-f]{8})\.log$/.exec(file);
  return m ? { serviceId: m[1], commit8: m[2] } : null;
}

function chownTree(dir: string, uid: number): Promise<unknown> {
  return runOrThrow('chown', ['-R', '--no-dereference', `${uid}:${uid}`, dir]);
}

/** Return the slug for commit, building it first if the ship does not have it. */
export async function ensureSlug(
  ctx: BuildContext, serviceId: string, commit: string, base: string,
  buildEnv: Record<string, string | Buffer>, onLine: (line: string) => void, appBase = '',
): Promise<SlugMeta> {
  const key = slugKey(commit, appBase, String(buildEnv.BUILDPACK_URL ?? '').trim());
  const existing = readSlug(ctx.paths, serviceId, key);
  if (existing) return existing;

  const id = `${commit.slice(0, 8)}${randomBytes(3).toString('hex')}`;
  const work = join(ctx.paths.builds, id);
  const app = join(work, 'app');
  const meta = join(work, 'meta');
  const envDir = join(work, 'env');
  const cache = ctx.paths.cache(serviceId);
  const name = `build--${serviceId}--${id}`.slice(0, 63);
  const logFile = buildLogPath(ctx.paths, serviceId, commit);
  mkdirSync(ctx.paths.logs, { recursive: true });
  rmSync(logFile, { force: true });
  const log = new CappedLog(logFile);
  // The log stream (and the agent's sink) gets the first STREAMED_BYTES of a
  // build's output; the build log on disk keeps its capped tail.
  let streamed = 0;
  const say = (line: string): void => { log.write(`${line}\n`); onLine(line); };
  const engines = new EngineWarnings();
  const sayBuilt = (line: string): void => {
    engines.push(line);
    log.write(`${line}\n`);
    if (streamed > STREAMED_BYTES) return;
    streamed += line.length + 1;
    onLine(streamed > STREAMED_BYTES ? `(more output than ${STREAMED_BYTES >> 20} MiB: the rest is in ${logFile} only)` : line);
  };
  let envMounted = false;
  let netOpen = false;
  const { ids } = ctx;

  try {
    mkdirSync(work, { recursive: true, mode: 0o700 });
    // The build container's root sets up its mounts from here.
    chownSync(work, ids.root, ids.root);
    await runOrThrow(`${ctx.shDir}/git-export`, [ctx.paths.repo(serviceId), commit, app]);
    mkdirSync(meta);
    await fetchCustomPacks(ctx, app, appBase, buildEnv.BUILDPACK_URL, meta, say)
      .catch((err: Error) => { throw new Error(`build failed: ${err.message}`); });
    mkdirSync(envDir, { mode: 0o750 });
    // ENV_DIR (orders exports and phleet secrets, one file per variable) lives
    // on a tmpfs: it never reaches a disk and is gone when the build ends.
    await runOrThrow('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0750,nosuid,nodev,noexec', 'starphleet-env', envDir]);
    envMounted = true;
    for (const [k, v] of Object.entries(buildEnv)) {
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) writeFileSync(join(envDir, k), v, { mode: 0o640 });
    }
    mkdirSync(cache, { recursive: true, mode: 0o700 });
    await chownTree(app, ids.app);
    await chownTree(meta, ids.app);
    await chownTree(cache, ids.app);
    chmodSync(cache, 0o700);
    // The build user reads ENV_DIR through its group (the agent's umask is 077).
    await runOrThrow('chown', ['-R', `${ids.root}:${ids.app}`, envDir]);
    await runOrThrow('chmod', ['-R', 'g+rX', envDir]);

    say(`-----> Building ${serviceId} at ${commit.slice(0, 12)}`);
    await prepareBuildContainer(ctx.paths, {
      name, base, buildId: id, buildDir: app, cacheDir: cache, envDir, metaDir: meta,
      memory: ctx.memory, pids: ctx.pids, containerShDir: ctx.containerShDir, buildpacksDir: ctx.buildpacksDir, lxcDir: ctx.lxcDir,
      ids, net: ctx.net,
    }, say);
    await runOrThrow(`${ctx.shDir}/build-net`, ['open', ctx.net.bridge, ctx.subnet, ctx.net.ip]);
    netOpen = true;
    const result = await runScript(`${ctx.shDir}/build-run`, [ctx.paths.lxcpath, name, id, `starphleet-${base}`], {
      timeoutSeconds: ctx.timeoutSeconds,
      onLine: sayBuilt,
      maxOutputBytes: 256 * 1024, // the whole output is in the build log; this tail is for the cause line
    });
    const needs = result.code === 75 ? (readTreeFile(meta, 'needs-base', 64, 'the build\'s base request') ?? '').trim() : '';
    if (needs !== '' && needs !== base) throw new NeedsBase(needs, failureCause(result.stdout + result.stderr) ?? `the pack needs the ${needs} base`);
    if (result.code !== 0) {
      if (result.timedOut) throw new Error(`build ran longer than ${ctx.timeoutSeconds} s (STARPHLEET_BUILD_TIMEOUT); full log: ${logFile}`);
      // The line that names the cause (npm's, the compiler's, …), else the last lines; then where the rest is.
      const output = (result.stdout + result.stderr).trim();
      const why = failureCause(output) ?? output.split('\n').filter((l) => l.trim() !== '').slice(-3).map((l) => l.trim()).join(' | ');
      const engineNote = engines.summary();
      throw new Error(`build failed: ${why || `exit ${result.code}`}${engineNote ? `; ${engineNote}` : ''}; full log: ${logFile}`);
    }

    // What the repo and the build wrote is read without following links out of its tree.
    const procfile = readTreeFile(app, 'Procfile');
    const release = readTreeFile(meta, 'release.yml', TREE_FILE_MAX_BYTES, "the buildpack's release output") ?? '';
    const web = webCommand(procfile, release);
    const processes = processTypes(procfile, release);
    const releaseCmd = releaseCommand(procfile);
    say(`-----> Process types: ${Object.keys(processes).join(', ')}${releaseCmd ? `; release phase: ${releaseCmd}` : ''}`);
    const healthcheck = readTreeFile(app, 'healthcheck', 4096);
    const slugMeta: SlugMeta = {
      commit,
      base,
      ...(appBase ? { appBase } : {}),
      ...(engines.summary() ? { warning: engines.summary() ?? undefined } : {}),
      buildpack: (readTreeFile(meta, 'buildpack', 256, "the build's buildpack name") ?? 'unknown').trim() || 'unknown',
      web,
      processes,
      ...(releaseCmd ? { releaseCommand: releaseCmd } : {}),
      healthcheck: healthcheck === null ? undefined : healthcheck.split('\n')[0].trim(),
      builtAt: new Date().toISOString(),
    };
    const slugDir = ctx.paths.slug(serviceId, key);
    rmSync(slugDir, { recursive: true, force: true });
    mkdirSync(dirname(slugDir), { recursive: true });
    chmodSync(dirname(slugDir), 0o711);
    // The app containers' root mounts the slug; nobody else on the host reads it.
    mkdirSync(slugDir, { mode: 0o700 });
    chownSync(slugDir, ids.app, ids.app);
    renameSync(app, join(slugDir, 'app'));
    writeFileSync(slugMetaPath(ctx.paths, serviceId, key), JSON.stringify(slugMeta, null, 2) + '\n', { mode: 0o600 });
    say(`-----> Slug ready: web: ${web}`);
    return slugMeta;
  } catch (err) {
    // A base switch is not a failure: the build goes on on the other base.
    say(err instanceof NeedsBase ? `-----> ${err.message}` : `!     ${(err as Error).message}`);
    throw err;
  } finally {
    await destroyContainer(ctx.paths, ctx.shDir, name).catch(() => undefined);
    if (netOpen) await runOrThrow(`${ctx.shDir}/build-net`, ['close', ctx.net.bridge, ctx.subnet, ctx.net.ip]).catch((e: Error) => say(`!     ${e.message}`));
    if (envMounted) {
      await runOrThrow('umount', [envDir]).catch(() => runOrThrow('umount', ['-l', envDir])).catch((e: Error) => say(`!     ${e.message}`));
    }
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The packs this build names by URL, fetched on the host and exported into
 * META_DIR/packs/N, listed in META_DIR/packs.tsv for build-in-container.
 */
async function fetchCustomPacks(
  ctx: BuildContext, app: string, appBase: string, ordersUrl: string | Buffer | undefined, meta: string, say: (line: string) => void,
): Promise<void> {
  const inApp = (rel: string): string | null => readTreeFile(app, appBase ? `${appBase}/${rel}` : rel, TREE_FILE_MAX_BYTES, `the app's ${rel}`);
  const urls = packUrls(ordersUrl === undefined ? undefined : String(ordersUrl), inApp('.env'), inApp('.buildpacks'));
  const lines: string[] = [];
  for (const [i, p] of urls.entries()) {
    say(`-----> Fetching buildpack ${p.spec} (named by ${p.from}) on the ship`);
    let fetched: { cache: string; commit: string };
    try {
      fetched = await ctx.fetchPack(p.target);
    } catch (err) {
      throw new Error(`${p.from}: buildpack ${p.spec}: ${(err as Error).message}`);
    }
    mkdirSync(join(meta, 'packs'), { recursive: true });
    await runOrThrow(`${ctx.shDir}/git-export`, [fetched.cache, fetched.commit, join(meta, 'packs', String(i))]);
    lines.push(`${p.spec}\tpacks/${i}\n`);
  }
  if (lines.length > 0) writeFileSync(join(meta, 'packs.tsv'), lines.join(''));
}

/** Keep the slugs containers use (their slug keys) plus the newest `keep` others; remove the rest. */
export function pruneSlugs(paths: ShipPaths, serviceId: string, inUse: Set<string>, keep: number): string[] {
  const dir = dirname(paths.slug(serviceId, 'x'));
  if (!existsSync(dir)) return [];
  const slugs = readdirSync(dir)
    .map((commit) => ({ commit, meta: readSlug(paths, serviceId, commit) }))
    .filter((x) => x.meta !== null && !inUse.has(x.commit))
    .sort((a, b) => (b.meta?.builtAt ?? '').localeCompare(a.meta?.builtAt ?? ''));
  const removed: string[] = [];
  for (const old of slugs.slice(keep)) {
    rmSync(paths.slug(serviceId, old.commit), { recursive: true, force: true });
    removed.push(old.commit);
  }
  pruneBuildLogs(paths, serviceId, keep);
  return removed;
}

/**
 * Build logs (one per commit built) go with their slugs: kept for the slugs
 * still on the ship, and for the newest `keep` builds that made none (failed).
 */
export function pruneBuildLogs(paths: ShipPaths, serviceId: string, keep: number): string[] {
  if (!existsSync(paths.logs)) return [];
  const slugDir = dirname(paths.slug(serviceId, 'x'));
  const kept = new Set((existsSync(slugDir) ? readdirSync(slugDir) : []).map((c) => c.slice(0, 8)));
  const logs = readdirSync(paths.logs)
    .map((f) => ({ f, name: parseBuildLogName(f) }))
    .filter((x) => x.name?.serviceId === serviceId && !kept.has(x.name.commit8))
    .map((x) => ({ f: x.f, at: statSync(join(paths.logs, x.f)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  const removed: string[] = [];
  for (const old of logs.slice(keep)) {
    rmSync(join(paths.logs, old.f), { force: true });
    removed.push(old.f);
  }
  return removed;
}
