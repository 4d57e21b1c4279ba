// The compiled binary carries lib/sh, buildpacks, lxc, lib/templates and lib/dashboard as
// one tar (made by `make`); this unpacks it once per content hash under the
// ship's root (ROOT/assets/<hash>), keeping file modes.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { extract } from 'tar-stream';
import { Readable } from 'node:stream';

export async function unpackAssets(tar: Buffer, rootDir: string): Promise<string> {
  const hash = createHash('sha256').update(tar).digest('hex').slice(0, 16);
  const target = join(rootDir, 'assets', hash);
  if (existsSync(join(target, '.complete'))) return target;
  const tmp = `${target}.tmp.${process.pid}`;
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
  rmSync(target, { recursive: true, force: true });
  renameSync(tmp, target);
  return target;
}

/** --root from argv, else STARPHLEET_ROOT, else the default; a temp dir if that is not writable. */
export function assetsHome(argv: string[], env: NodeJS.ProcessEnv): string {
  let root = env.STARPHLEET_ROOT || '/var/starphleet';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--root' && argv[i + 1]) root = argv[i + 1];
    else if (argv[i].startsWith('--root=')) root = argv[i].slice('--root='.length);
  }
  try {
    mkdirSync(join(root, 'assets'), { recursive: true });
    return root;
  } catch {
    return join(tmpdir(), `starphleet-${process.getuid?.() ?? 'user'}`);
  }
}
