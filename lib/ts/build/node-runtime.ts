// The ship's default Node.js: the newest LTS release (node-lts.ts), fetched
// once from the npm registry into ROOT/runtimes/node/VERSION and named by
// ROOT/runtimes/node/default, which builds and apps see read-only at
// /starphleet-runtimes. The registry is asked again at most once a day; when
// it cannot be reached, the version the ship has stays the default (none:
// builds use the base's own node, and the build says so).
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ShipPaths } from '../core/paths.js';
import { runScript } from '../core/sh.js';
import { newestLts } from './node-lts.js';

const RECHECK_MS = 24 * 3600 * 1000;

export function defaultNodeFile(paths: ShipPaths): string {
  return join(paths.runtimes, 'node', 'default');
}

/** The version ROOT/runtimes/node/default names, if its folder is there. */
export function currentDefaultNode(paths: ShipPaths): string | null {
  const file = defaultNodeFile(paths);
  if (!existsSync(file)) return null;
  const v = readFileSync(file, 'utf8').trim();
  return /^\d+\.\d+\.\d+$/.test(v) && existsSync(join(paths.runtimes, 'node', v, 'bin', 'node')) ? v : null;
}

/** Make sure the default Node.js is current (at most one registry check a day); returns it, or null. */
export async function ensureDefaultNode(paths: ShipPaths, shDir: string, log: (line: string) => void): Promise<string | null> {
  const have = currentDefaultNode(paths);
  if (have && Date.now() - statSync(defaultNodeFile(paths)).mtimeMs < RECHECK_MS) return have;
  const dir = join(paths.runtimes, 'node');
  mkdirSync(dir, { recursive: true });
  chmodSync(paths.runtimes, 0o755);
  chmodSync(dir, 0o755);
  try {
    const r = await runScript(`${shDir}/node-runtime`, ['times'], { timeoutSeconds: 60, maxOutputBytes: 4 * 1024 * 1024 });
    if (r.code !== 0 || r.timedOut) throw new Error(r.timedOut ? 'the npm registry did not answer within 60 s' : (r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`));
    const version = newestLts(JSON.parse(r.stdout) as Record<string, string>, Date.now());
    if (!version) throw new Error('the npm registry lists no LTS release of Node.js');
    if (!existsSync(join(dir, version, 'bin', 'node'))) {
      log(`fetching Node.js ${version} (the newest LTS) from the npm registry`);
      const f = await runScript(`${shDir}/node-runtime`, ['fetch', version, join(dir, version)], { timeoutSeconds: 300, maxOutputBytes: 64 * 1024 });
      if (f.code !== 0 || f.timedOut) throw new Error(`fetching ${version}: ${f.timedOut ? 'longer than 300 s' : (f.stderr.trim().split('\n').pop() ?? `exit ${f.code}`)}`);
    }
    writeFileSync(`${defaultNodeFile(paths)}.tmp`, `${version}\n`);
    // Read by every container user (the agent's umask is 077).
    chmodSync(`${defaultNodeFile(paths)}.tmp`, 0o644);
    renameSync(`${defaultNodeFile(paths)}.tmp`, defaultNodeFile(paths));
    if (version !== have) log(`default Node.js: ${version}`);
    return version;
  } catch (err) {
    log(`warning: the default Node.js could not be brought up to date (${(err as Error).message}); ${have ? `keeping ${have}` : "builds use the base's own node"}`);
    return have;
  }
}
