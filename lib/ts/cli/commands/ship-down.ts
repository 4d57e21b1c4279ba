// `ship down`: stop the agent, the containers and nginx of one ship root and
// remove the containers (and the bridge, if this ship created it). Slugs and
// caches stay, so the next `ship run` needs no rebuild.
import { dropTlsTmpfs } from '../../tls/cert-store.js';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { assets } from '../../core/assets.js';
import { destroyContainer, pidAlive, readPid } from '../../container/container.js';
import { cleanBuildLeftovers } from '../../build/leftovers.js';
import { stopRootProcesses } from '../../container/root-processes.js';
import { stopNginx } from '../../nginx/reload.js';
import { shipPaths } from '../../core/paths.js';
import { closeReachableRoot, reachableRoot } from '../../core/reachable-root.js';
import { runOrThrow } from '../../core/sh.js';
import { resolveRoot } from '../../core/config.js';
import type { CommandInput } from '../command.js';

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!pidAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !pidAlive(pid);
}

export async function shipDown({ flags }: CommandInput): Promise<number> {
  const root = resolveRoot(flags, process.env);
  // LXC names a running container by its folder's path: the one the agent used.
  const paths = shipPaths(reachableRoot(root));
  // The compiled binary unpacks its assets under the root before any command
  // runs, so the root itself always exists: a ship is its state, run folder,
  // containers or nginx (a mistyped --root must not claim a ship went down).
  if (![paths.state, paths.run, paths.lxcpath, paths.nginx].some((p) => existsSync(p))) {
    process.stdout.write(`no ship at ${root}: nothing to do\n`);
    return 0;
  }
  const agent = readPid(paths.agentPid);
  if (agent !== null && pidAlive(agent)) {
    process.kill(agent, 'SIGTERM');
    if (!(await waitGone(agent, 10_000))) process.kill(agent, 'SIGKILL');
    process.stdout.write(`stopped agent ${agent}\n`);
  }
  // The front door closes first (nginx finishes what it is serving, then
  // quits), so no request is cut by a container going away under it.
  await stopNginx(paths.nginx);
  // The live certificates' keys (plaintext) go with their tmpfs; the sealed ones stay.
  await dropTlsTmpfs(paths);
  let removed = 0;
  if (existsSync(paths.lxcpath)) {
    for (const name of readdirSync(paths.lxcpath)) {
      if (!existsSync(join(paths.lxcpath, name, 'config'))) continue;
      await destroyContainer(paths, assets().sh, name);
      removed += 1;
    }
  }
  // A build cut short by the agent's stop leaves its ENV_DIR tmpfs mounted.
  await cleanBuildLeftovers(paths, assets().sh);
  // Supervisors end with their containers; any left (a container that never
  // started) are stopped here.
  if (existsSync(paths.supervisors)) {
    for (const f of readdirSync(paths.supervisors)) {
      const pid = f.endsWith('.pid') ? readPid(join(paths.supervisors, f)) : null;
      if (pid !== null && pidAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    rmSync(paths.supervisors, { recursive: true, force: true });
  }
  const bridgeMark = paths.bridgeMark;
  if (existsSync(bridgeMark)) {
    const [bridge, subnet] = readFileSync(bridgeMark, 'utf8').trim().split(' ');
    await runOrThrow(`${assets().sh}/bridge-down`, [bridge, subnet]);
    rmSync(bridgeMark);
  }
  // Anything the agent started and did not live to stop (a build, a fetch).
  const stopped = await stopRootProcesses([...new Set([root, reachableRoot(root)])]);
  if (stopped.length) process.stdout.write(`stopped ${stopped.length} process(es) left running: ${stopped.map((p) => `${p.pid} ${p.command}`).join('; ')}\n`);
  rmSync(paths.state, { force: true });
  rmSync(paths.controlSocket, { force: true });
  await closeReachableRoot(root);
  process.stdout.write(`ship ${root} down: ${removed} container(s) removed, nginx stopped\n`);
  return 0;
}
