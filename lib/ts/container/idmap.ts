// The ship's subordinate id range: every app and build container runs in a
// user namespace whose root is the range's first host uid (and the app user,
// uid 10000 inside, is first + 10000). The range is root's entry in
// /etc/subuid and /etc/subgid, so newuidmap lets LXC use it and useradd
// never hands it to a new user; the ship adds one when root has none.
import { appendFileSync, chmodSync, existsSync, readFileSync } from 'node:fs';

/** 65536 ids: uid 0–65535 inside, the nobody/nogroup ids included. */
export const RANGE_COUNT = 65536;
const FIRST_CANDIDATE = 100000;

export interface IdRange {
  first: number;   // host uid/gid of the container's root
  count: number;
}

interface SubidEntry { owner: string; first: number; count: number }

/** Parses /etc/subuid-style text ("owner:first:count" lines). */
export function parseSubids(text: string): SubidEntry[] {
  const entries: SubidEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^([^:#\s][^:]*):(\d+):(\d+)\s*$/.exec(line.trim());
    if (m) entries.push({ owner: m[1], first: Number(m[2]), count: Number(m[3]) });
  }
  return entries;
}

/** Root's range present in both files with the same start and at least RANGE_COUNT ids. */
export function rootRange(subuid: SubidEntry[], subgid: SubidEntry[]): IdRange | null {
  for (const u of subuid) {
    if ((u.owner !== 'root' && u.owner !== '0') || u.count < RANGE_COUNT) continue;
    if (subgid.some((g) => (g.owner === 'root' || g.owner === '0') && g.first <= u.first && g.first + g.count >= u.first + RANGE_COUNT)) {
      return { first: u.first, count: RANGE_COUNT };
    }
  }
  return null;
}

/** The lowest RANGE_COUNT-aligned range from 100000 up that no entry of either file overlaps. */
export function freeRange(taken: SubidEntry[]): IdRange {
  for (let first = FIRST_CANDIDATE; first + RANGE_COUNT < 2 ** 32; first += RANGE_COUNT) {
    const last = first + RANGE_COUNT;
    if (!taken.some((e) => e.first < last && first < e.first + e.count)) return { first, count: RANGE_COUNT };
  }
  throw new Error('no free subordinate id range left in /etc/subuid and /etc/subgid');
}

function readOrEmpty(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/**
 * Root's subordinate range, adding `root:FIRST:65536` to both files when
 * there is none. Returns the range and whether the files were changed.
 */
export function ensureShipRange(files = { subuid: '/etc/subuid', subgid: '/etc/subgid' }): { range: IdRange; added: boolean } {
  const uids = parseSubids(readOrEmpty(files.subuid));
  const gids = parseSubids(readOrEmpty(files.subgid));
  const have = rootRange(uids, gids);
  if (have) return { range: have, added: false };
  const range = freeRange([...uids, ...gids]);
  const line = `root:${range.first}:${range.count}\n`;
  for (const file of [files.subuid, files.subgid]) {
    const text = readOrEmpty(file);
    appendFileSync(file, text === '' || text.endsWith('\n') ? line : `\n${line}`);
    if (text === '') chmodSync(file, 0o644);
  }
  return { range, added: true };
}

/** Why this kernel or host cannot run containers in a user namespace, or null when it can. */
export function usernsUnavailable(): string | null {
  try {
    if (Number(readFileSync('/proc/sys/user/max_user_namespaces', 'utf8').trim()) === 0) {
      return 'user namespaces are disabled (/proc/sys/user/max_user_namespaces is 0)';
    }
  } catch {
    return 'this kernel has no user namespaces (/proc/sys/user/max_user_namespaces is missing)';
  }
  for (const tool of ['/usr/bin/newuidmap', '/usr/bin/newgidmap']) {
    if (!existsSync(tool)) return `${tool} is missing (Debian package uidmap)`;
  }
  return null;
}

/** Host ids a container's files are owned by: its root, and its app user (10000 inside). */
export interface ContainerIds {
  range: IdRange | null;   // null: containers share the host's ids (no user namespace)
  root: number;
  app: number;
}

export const APP_UID_INSIDE = 10000;

export function containerIds(range: IdRange | null): ContainerIds {
  const root = range?.first ?? 0;
  return { range, root, app: root + APP_UID_INSIDE };
}

/**
 * The ids this ship's containers run with. STARPHLEET_USERNS=off (or a host
 * that cannot) keeps them in the host's user namespace; `unprivileged` says
 * why not, for the start log and `status`.
 */
export function shipContainerIds(env: NodeJS.ProcessEnv = process.env): { ids: ContainerIds; unprivileged: true } | { ids: ContainerIds; unprivileged: false; why: string } {
  if (env.STARPHLEET_USERNS === 'off') return { ids: containerIds(null), unprivileged: false, why: 'STARPHLEET_USERNS=off' };
  const why = usernsUnavailable();
  if (why) return { ids: containerIds(null), unprivileged: false, why };
  return { ids: containerIds(ensureShipRange().range), unprivileged: true };
}
