// Git targets: "URL#ref" parsing (pure) and fetching a repo into the ship's
// cache with the ref resolved to an exact commit (lib/sh/repo-sync).
import { statSync } from 'node:fs';
import { runScript } from '../core/sh.js';

export interface GitTarget {
  url: string;
  ref?: string; // branch, tag or (abbreviated) sha; absent = the remote's HEAD
}

export function parseGitUrl(text: string): GitTarget {
  const trimmed = text.trim();
  if (trimmed === '') throw new Error('empty git URL');
  const hash = trimmed.lastIndexOf('#');
  if (hash === -1) return { url: checkedUrl(trimmed) };
  const url = trimmed.slice(0, hash);
  const ref = trimmed.slice(hash + 1);
  if (url === '') throw new Error(`no URL before '#' in '${trimmed}'`);
  if (ref === '') return { url: checkedUrl(url) };
  if (!/^[A-Za-z0-9._\/-]+$/.test(ref) || ref.includes('..') || ref.startsWith('-')) {
    throw new Error(`'${ref}' is not a valid branch, tag or sha`);
  }
  return { url: checkedUrl(url), ref };
}

/**
 * A URL git reads the same from any folder: scheme://…, [user@]host:path or
 * an absolute path. `github.com/me/app` would be taken for a relative path
 * (git: "does not appear to be a git repository"); say what to write instead.
 */
function checkedUrl(url: string): string {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(url) || url.startsWith('/')) return url;
  const colon = url.indexOf(':');
  if (colon > 0 && !url.slice(0, colon).includes('/')) return url; // scp style: git@host:me/app.git
  throw new Error(`'${url}' is not a git URL: write https://HOST/PATH.git, ssh://, git://, user@host:PATH, file:///PATH or an absolute path`);
}

export function formatGitTarget(t: GitTarget): string {
  return t.ref ? `${t.url}#${t.ref}` : t.url;
}

/**
 * The last commit each cache resolved for each target, and which cache that
 * was (its objects folder's inode and birth time: a cache removed and made
 * again starts over). An idle ship asks the remote one question per service
 * and pulse; the full fetch (a shell, git fetch and its maintenance, the
 * resolve) runs only when the answer changed.
 */
const lastSync = new Map<string, { commit: string; cache: string }>();

function cacheIdentity(cacheDir: string): string | null {
  try {
    const st = statSync(`${cacheDir}/objects`, { bigint: true });
    return `${st.ino}:${st.birthtimeNs}:${st.dev}`;
  } catch {
    return null;
  }
}

/** The advertisement line's commit for REF in `git ls-remote` output (pure). */
export function advertised(lsRemote: string, ref: string): string | null {
  for (const line of lsRemote.split('\n')) {
    const [sha, name] = line.split('\t');
    if (name === ref && /^[0-9a-f]{40}$/.test(sha ?? '')) return sha;
  }
  return null;
}

/**
 * Fetch URL into the bare cache and resolve REF to a commit, within
 * `timeoutSeconds` (connect included: a host that accepts and never answers
 * is cut there, with git and everything it started).
 */
export async function syncRepo(shDir: string, target: GitTarget, cacheDir: string, env?: NodeJS.ProcessEnv, timeoutSeconds = 30): Promise<string> {
  const key = `${cacheDir}\0${formatGitTarget(target)}`;
  const memo = lastSync.get(key);
  const identity = cacheIdentity(cacheDir);
  if (memo && identity !== null && memo.cache === identity) {
    // A full sha names one commit for ever; a branch or HEAD is asked about.
    if (target.ref !== undefined && target.ref === memo.commit) return memo.commit;
    if (await unchangedAtRemote(target, cacheDir, memo.commit, env, timeoutSeconds)) return memo.commit;
  }
  const commit = await fullSync(shDir, target, cacheDir, env, timeoutSeconds);
  const after = cacheIdentity(cacheDir);
  if (after !== null) lastSync.set(key, { commit, cache: after });
  return commit;
}

/**
 * Whether the remote still advertises COMMIT for the target's branch (or
 * HEAD). False for anything else (a tag, an abbreviated sha, a failure other
 * than a timeout): the full sync then decides, and says why it failed.
 */
async function unchangedAtRemote(target: GitTarget, cacheDir: string, commit: string, env: NodeJS.ProcessEnv | undefined, timeoutSeconds: number): Promise<boolean> {
  const ref = target.ref === undefined ? 'HEAD' : `refs/heads/${target.ref}`;
  const r = await runScript('git', ['-C', cacheDir, 'ls-remote', '--', target.url, ref], {
    timeoutSeconds, env: { ...(env ?? process.env), GIT_TERMINAL_PROMPT: '0' }, maxOutputBytes: 64 * 1024,
  });
  if (r.timedOut) throw new Error(`no answer from ${target.url} within ${timeoutSeconds} s (STARPHLEET_GIT_TIMEOUT)`);
  return r.code === 0 && advertised(r.stdout, ref) === commit;
}

async function fullSync(shDir: string, target: GitTarget, cacheDir: string, env: NodeJS.ProcessEnv | undefined, timeoutSeconds: number): Promise<string> {
  const r = await runScript(`${shDir}/repo-sync`, [target.url, target.ref ?? '', cacheDir], { timeoutSeconds, env, maxOutputBytes: 64 * 1024 });
  if (r.timedOut) throw new Error(`no answer from ${target.url} within ${timeoutSeconds} s (STARPHLEET_GIT_TIMEOUT)`);
  if (r.code !== 0) throw new Error(`repo-sync: ${(r.stderr.trim() || r.stdout.trim()).split('\n').filter(Boolean).pop() ?? `exited with status ${r.code}`}`);
  const out = r.stdout;
  const commit = out.trim().split('\n').pop() ?? '';
  if (!/^[0-9a-f]{40}$/.test(commit)) throw new Error(`repo-sync: could not resolve ${formatGitTarget(target)}`);
  return commit;
}
