// Everything a ship owns lives under its root; this is the one map of it
// (documented in docs/ship-root.md).
import { join } from 'node:path';

export function shipPaths(root: string) {
  return {
    root,
    state: join(root, 'state.json'),
    assets: join(root, 'assets'),
    hqCache: join(root, 'hq.git'),
    hqSnapshots: join(root, 'hq'),
    repos: join(root, 'repos'),
    repo: (serviceId: string) => join(root, 'repos', `${serviceId}.git`),
    builds: join(root, 'builds'),
    slugs: join(root, 'slugs'),
    slug: (serviceId: string, commit: string) => join(root, 'slugs', serviceId, commit),
    caches: join(root, 'cache'),
    cache: (serviceId: string) => join(root, 'cache', serviceId),
    bases: join(root, 'bases'),
    base: (name: string) => join(root, 'bases', name),
    lxcpath: join(root, 'containers'),
    container: (name: string) => join(root, 'containers', name),
    logs: join(root, 'logs'),
    containerLog: (name: string) => join(root, 'logs', `${name}.log`),
    nginx: join(root, 'nginx'),
    nginxConf: join(root, 'nginx', 'nginx.conf'),
    holdSockets: join(root, 'nginx', 'hold'),
    run: join(root, 'run'),
    controlSocket: join(root, 'run', 'control.sock'),
    nginxControlSocket: join(root, 'run', 'nginx-control.sock'),
    agentPid: join(root, 'run', 'agent.pid'),
    supervisors: join(root, 'run', 'supervisors'),
    supervisorPid: (name: string) => join(root, 'run', 'supervisors', `${name}.pid`),
    supervisorExit: (name: string) => join(root, 'run', 'supervisors', `${name}.exit`),
  };
}

export type ShipPaths = ReturnType<typeof shipPaths>;
