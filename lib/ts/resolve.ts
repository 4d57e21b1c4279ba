// Git targets: "URL#ref" parsing (pure) and fetching a repo into the ship's
// cache with the ref resolved to an exact commit (lib/sh/repo-sync).
import { runOrThrow } from './sh.js';

export interface GitTarget {
  url: string;
  ref?: string; // branch, tag or (abbreviated) sha; absent = the remote's HEAD
}

export function parseGitUrl(text: string): GitTarget {
  const trimmed = text.trim();
  if (trimmed === '') throw new Error('empty git URL');
  const hash = trimmed.lastIndexOf('#');
  if (hash === -1) return { url: trimmed };
  const url = trimmed.slice(0, hash);
  const ref = trimmed.slice(hash + 1);
  if (url === '') throw new Error(`no URL before '#' in '${trimmed}'`);
  if (ref === '') return { url };
  if (!/^[A-Za-z0-9._\/-]+$/.test(ref) || ref.includes('..') || ref.startsWith('-')) {
    throw new Error(`'${ref}' is not a valid branch, tag or sha`);
  }
  return { url, ref };
}

export function formatGitTarget(t: GitTarget): string {
  return t.ref ? `${t.url}#${t.ref}` : t.url;
}

/** Fetch URL into the bare cache and print the commit REF resolves to. */
export async function syncRepo(shDir: string, target: GitTarget, cacheDir: string, env?: NodeJS.ProcessEnv): Promise<string> {
  const out = await runOrThrow(`${shDir}/repo-sync`, [target.url, target.ref ?? '', cacheDir], { timeoutSeconds: 120, env });
  const commit = out.trim().split('\n').pop() ?? '';
  if (!/^[0-9a-f]{40}$/.test(commit)) throw new Error(`repo-sync: could not resolve ${formatGitTarget(target)}`);
  return commit;
}
