// Packs named by git URL: the orders' BUILDPACK_URL, a literal
// `BUILDPACK_URL=…` line of the app's .env (read as text: .env is never run
// on the host), and the URL lines of its .buildpacks. The ship fetches them
// on the host like service repos (its privatize key, its deadline), so a
// pack URL works wherever `autodeploy` does, and hands them to the build in
// META_DIR/packs (packs.tsv: SPEC<TAB>FOLDER). A URL that reads the ship's
// own disk (a path, file://) may come only from the orders: the HQ is the
// admirals', a service repo is not.
import { parseGitUrl, type GitTarget } from '../git/resolve.js';

export interface PackUrl {
  spec: string;               // as written: URL or URL#ref
  target: GitTarget;
  from: 'orders' | '.env' | '.buildpacks';
}

/** Whether git would read this URL from the ship's own disk. */
export function isLocalGitUrl(url: string): boolean {
  return url.startsWith('/') || /^file:\/\//i.test(url);
}

/** The value of a literal BUILDPACK_URL line of a .env, or null; throws when it is not literal. */
export function envBuildpackUrl(dotenv: string): string | null {
  let found: string | null = null;
  for (const line of dotenv.split('\n')) {
    const m = /^\s*(?:export\s+)?BUILDPACK_URL=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[1].trim();
    const q = /^(['"])(.*)\1$/.exec(v);
    if (q) v = q[2];
    if (/[$`\\\s;|&<>()]/.test(v)) throw new Error(`.env: BUILDPACK_URL must be a literal URL (the ship reads it as text), got '${m[1].trim()}'`);
    found = v === '' ? null : v;
  }
  return found;
}

/** The URL lines of a .buildpacks file (built-in pack names are not URLs). */
export function buildpacksUrls(text: string): string[] {
  return text.split('\n').map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#') && !/^[a-z][a-z0-9-]*$/.test(l));
}

/**
 * Every pack URL this build needs, in the order build-in-container uses
 * them, checked; throws a one-line reason naming where the URL came from.
 */
export function packUrls(orders: string | undefined, dotenv: string | null, buildpacks: string | null): PackUrl[] {
  const out: PackUrl[] = [];
  const add = (spec: string, from: PackUrl['from']): void => {
    let target: GitTarget;
    try { target = parseGitUrl(spec); } catch (err) { throw new Error(`${from === 'orders' ? 'orders' : from}: BUILDPACK_URL ${spec}: ${(err as Error).message}`); }
    if (from !== 'orders' && isLocalGitUrl(target.url)) {
      throw new Error(`${from}: ${spec} reads the ship's own disk: a pack at a path or file:// URL may only be named by the orders' BUILDPACK_URL`);
    }
    out.push({ spec, target, from });
  };
  const fromEnv = dotenv === null ? null : envBuildpackUrl(dotenv);
  if (orders) add(orders.trim(), 'orders');
  else if (fromEnv) add(fromEnv, '.env');
  else if (buildpacks !== null) for (const u of buildpacksUrls(buildpacks)) add(u, '.buildpacks');
  return out;
}
