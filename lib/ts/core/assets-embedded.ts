// The compiled binary carries lib/sh, buildpacks, lxc, lib/templates and lib/dashboard as
// one tar (made by `make`); this unpacks it once per content hash under the
// ship's root (ROOT/assets/<hash>) or a cache folder, keeping file modes.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { extract } from 'tar-stream';
import { Readable } from 'node:stream';

export async function unpackAssets(tar: Buffer, rootDir: string): Promise<string> {
  const hash = createHash('sha256').update(tar).digest('hex').slice(0, 16);
  const target = join(rootDir, 'assets', hash);
  if (existsSync(join(target, '.complete'))) return target;
  const tmp = `${target}.tmp.${process.pid}.${randomBytes(4).toString('hex')}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const rel = normalize(header.name);
      if (rel.startsWith('..') || rel.startsWith('/')) { stream.resume(); next(); return; }
      const dest = join(tmp, rel);
      if (header.type === 'directory') {
        mkdirSync(dest, { recursive: true });
        stream.resume();
        next();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        if (header.type === 'file') {
          mkdirSync(dirname(dest), { recursive: true });
          writeFileSync(dest, Buffer.concat(chunks));
          chmodSync(dest, (header.mode ?? 0o644) & 0o777);
        }
        next();
      });
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  Readable.from([tar]).pipe(ex);
  await done;
  writeFileSync(join(tmp, '.complete'), '');
  // Several processes may unpack at once (supervisors starting on a fresh root): the first complete copy wins.
  if (existsSync(join(target, '.complete'))) { rmSync(tmp, { recursive: true, force: true }); return target; }
  rmSync(target, { recursive: true, force: true });
  try {
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(target, '.complete'))) throw err;
  }
  return target;
}

/**
 * Where to unpack: ROOT/assets when the ship root (--root, else
 * STARPHLEET_ROOT, else /var/starphleet) already exists or the command makes
 * it (`ship run`, `ship build-base`), so a ship carries its own copy;
 * otherwise a cache folder, so that a command given a root that is not there
 * (a typo) creates nothing under it.
 */
export function assetsHome(argv: string[], env: NodeJS.ProcessEnv): string {
  const makesRoot = argv[0] === 'ship' && (argv[1] === 'run' || argv[1] === 'build-base');
  let root = env.STARPHLEET_ROOT || '/var/starphleet';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--root' && argv[i + 1]) root = argv[i + 1];
    else if (argv[i].startsWith('--root=')) root = argv[i].slice('--root='.length);
  }
  const uid = process.getuid?.() ?? -1;
  const candidates = [
    makesRoot || isDirectory(root) ? root : null,
    uid === 0 ? '/var/cache/starphleet' : join(env.XDG_CACHE_HOME || join(env.HOME || tmpdir(), '.cache'), 'starphleet'),
    join(tmpdir(), `starphleet-${uid}`),
  ];
  for (const home of candidates) {
    if (home === null) continue;
    try {
      mkdirSync(join(home, 'assets'), { recursive: true });
      return home;
    } catch { /* not writable: the next one */ }
  }
  throw new Error(`cannot unpack the binary's scripts: none of ${candidates.filter(Boolean).join(', ')} is writable`);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
