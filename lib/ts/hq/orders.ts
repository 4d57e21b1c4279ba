// Orders: each HQ `orders` file is sourced by lib/sh/orders-read; what it
// exported and its `autodeploy` come back as data. Parsing is pure; running
// the script is the I/O edge at the bottom.
import { parseDomains } from '../nginx/domains.js';
import { parseProcessCounts } from '../process/process-plan.js';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runOrThrow, runScript } from '../core/sh.js';
import { parseGitUrl, type GitTarget } from '../git/resolve.js';
import { jailsAvailable, makeJail } from '../sandbox/cgroup.js';
import { OrdersTimedOut } from './orders-timed-out.js';

export interface Orders {
  autodeploy: GitTarget;
  port: number;
  healthcheck?: string;          // URL snippet from HEALTHCHECK, if set
  healthcheckTimeoutSeconds: number;
  env: Record<string, string>;   // every variable the orders exported
  hash: string;                  // changes when anything above changes
}

/** Variables present in the clean environment orders-read starts from. */
export const BASELINE_VARS = new Set(['PATH', 'HOME', 'PWD', 'OLDPWD', 'SHLVL', '_', 'LANG', 'STARPHLEET_ORDERS_DIR']);

export function parseEnv0(output: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const record of output.split('\0')) {
    const eq = record.indexOf('=');
    if (eq <= 0) continue;
    env[record.slice(0, eq)] = record.slice(eq + 1);
  }
  return env;
}

/** Turn the captured environment into Orders, or throw a one-line reason. */
export function ordersFromEnv(captured: Record<string, string>): Orders {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(captured)) {
    if (!BASELINE_VARS.has(k) && k !== 'STARPHLEET_AUTODEPLOY') env[k] = v;
  }
  const target = captured.STARPHLEET_AUTODEPLOY;
  if (!target) throw new Error('no autodeploy: orders must call `autodeploy <git_url>[#ref]`');
  const portText = env.PORT ?? '3000';
  if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    throw new Error(`PORT must be a number from 1 to 65535, got '${portText}'`);
  }
  env.PORT = portText;
  const timeoutText = env.HEALTHCHECK_TIMEOUT ?? '60';
  if (!/^\d+$/.test(timeoutText) || Number(timeoutText) < 1) {
    throw new Error(`HEALTHCHECK_TIMEOUT must be a whole number of seconds, got '${timeoutText}'`);
  }
  const strip = env.STRIP_PREFIX;
  if (strip !== undefined && !/^(true|false|1|0|yes|no|on|off)$/i.test(strip.trim())) {
    throw new Error(`STRIP_PREFIX must be true or false, got '${strip}'`);
  }
  parseDomains(env.DOMAINS); // a bad host name is this orders file's error
  parseProcessCounts(env.PROCESSES);
  const appBase = appBaseOf(env);
  if (appBase === null) throw new Error(`APP_BASE must be a folder of the repo, relative, without '..' (like apps/web), got '${env.APP_BASE}'`);
  const healthcheck = env.HEALTHCHECK;
  const orders = {
    autodeploy: parseGitUrl(target),
    port: Number(portText),
    healthcheck: healthcheck === undefined ? undefined : normalizeSnippet(healthcheck),
    healthcheckTimeoutSeconds: Number(timeoutText),
    env,
  };
  return { ...orders, hash: hashOrders(orders) };
}

/**
 * The repo folder the service is built and run from (orders APP_BASE, for
 * monorepos): '' for the repo's root, null when it is not a plain relative path.
 */
export function appBaseOf(env: Record<string, string> | undefined): string | null {
  const v = (env?.APP_BASE ?? '').trim().replace(/^\.\/+/, '').replace(/\/+$/, '');
  if (v === '' || v === '.') return '';
  const parts = v.split('/');
  return parts.every((p) => /^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(p) && p !== '..') ? parts.join('/') : null;
}

export function normalizeSnippet(snippet: string): string {
  const s = snippet.trim();
  if (s === '') return '/';
  return s.startsWith('/') ? s : `/${s}`;
}

function hashOrders(orders: Omit<Orders, 'hash'>): string {
  const sorted = Object.keys(orders.env).sort().map((k) => [k, orders.env[k]]);
  return createHash('sha256')
    .update(JSON.stringify([orders.autodeploy, orders.port, orders.healthcheck ?? null, orders.healthcheckTimeoutSeconds, sorted]))
    .digest('hex')
    .slice(0, 12);
}

export const ORDERS_TIME_LIMIT_SECONDS = 10;

/** Orders may start at most this many processes, and use this much memory. */
const ORDERS_PIDS = 64;
const ORDERS_MEMORY_BYTES = 256 * 1024 * 1024;

/** Orders run as this user (nobody) when the ship runs as root. */
const ORDERS_UID = 65534;

/** Where one orders read runs: a private copy of the HQ snapshot, as nobody. */
export interface OrdersSandbox {
  snapshot: string;  // the HQ snapshot the orders file is in
  rel: string;       // the orders file, relative to it
  scratch: string;   // where the private copy goes (under the ship root: a killed agent's copies are cleared at its next start)
}

/**
 * Source one orders file; resolves to Orders or rejects with a one-line
 * reason. It runs in a cgroup of its own (`jailName`, when the host has
 * cgroups): at its deadline, and as soon as it ends, everything it started
 * goes too. With a sandbox (and a root agent) it runs as nobody with no new
 * privileges, in a private, read-only copy of the HQ snapshot, so it can
 * change neither another service's orders nor the snapshot the ship keeps.
 */
export async function readOrders(ordersFile: string, shDir: string, jailName?: string, sandbox?: OrdersSandbox): Promise<Orders> {
  const jail = jailName && jailsAvailable() ? makeJail(jailName, { pids: ORDERS_PIDS, memoryBytes: ORDERS_MEMORY_BYTES }) : null;
  const unprivileged = sandbox !== undefined && process.getuid?.() === 0;
  const copy = unprivileged && sandbox ? mkdtempSync(join(ensureScratch(sandbox.scratch), 'orders-')) : null;
  try {
    let file = ordersFile;
    const asUser: string[] = [];
    if (copy && sandbox) {
      // A copy owned by root, group nobody's: the orders' uid reads it
      // (never writes it), and no other user of the host sees it (0750/0640).
      chmodSync(copy, 0o750);
      chownSync(copy, 0, ORDERS_UID);
      await runOrThrow('cp', ['-a', '--', `${sandbox.snapshot}/.`, copy], { timeoutSeconds: ORDERS_TIME_LIMIT_SECONDS });
      await runOrThrow('chgrp', ['-R', '--no-dereference', String(ORDERS_UID), '--', copy], { timeoutSeconds: ORDERS_TIME_LIMIT_SECONDS });
      await runOrThrow('chmod', ['-R', 'u+rwX,g+rX,g-w,o-rwx', '--', copy], { timeoutSeconds: ORDERS_TIME_LIMIT_SECONDS });
      file = join(copy, sandbox.rel);
      asUser.push('setpriv', `--reuid=${ORDERS_UID}`, `--regid=${ORDERS_UID}`, '--clear-groups', '--no-new-privs');
    }
    const read = [...asUser, `${shDir}/orders-read`, file];
    const command = jail ? [`${shDir}/cgroup-exec`, ...jail.procsFiles, '--', ...read] : read;
    const result = await runScript(command[0], command.slice(1), {
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/nonexistent', LANG: 'C.UTF-8' },
      timeoutSeconds: ORDERS_TIME_LIMIT_SECONDS,
      killTree: jail ? () => jail.kill() : undefined,
      reapOnExit: jail !== null,
      maxOutputBytes: 1024 * 1024,
    });
    if (result.timedOut) throw new OrdersTimedOut(`ran longer than ${ORDERS_TIME_LIMIT_SECONDS} s (stopped, with everything it started)`);
    if (result.code !== 0) {
      const reason = result.stderr.trim().split('\n').filter(Boolean).pop() ?? `exited with status ${result.code}`;
      throw new Error(copy ? reason.split(`${copy}/`).join('') : reason);
    }
    return ordersFromEnv(parseEnv0(result.stdout));
  } finally {
    jail?.kill();
    jail?.remove();
    if (copy) rmSync(copy, { recursive: true, force: true });
  }
}

/** The folder for orders copies: root's, passable by nobody (0711), never listable. */
function ensureScratch(dir: string): string {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o711);
  return dir;
}

/** Remove the copies a killed agent left (agent start, before any read). */
export function clearOrdersScratch(dir: string): number {
  if (!existsSync(dir)) return 0;
  const left = readdirSync(dir);
  for (const f of left) rmSync(join(dir, f), { recursive: true, force: true });
  return left.length;
}

/** Whether the front door strips the service's path (orders STRIP_PREFIX, default true). */
export function stripsPrefix(env: Record<string, string> | undefined): boolean {
  const v = (env?.STRIP_PREFIX ?? '').trim().toLowerCase();
  return !(v === 'false' || v === '0' || v === 'no' || v === 'off');
}
