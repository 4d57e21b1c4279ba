// Everything a ship owns lives under its root; this is the one map of it
// (documented in docs/ship-root.md): no other module joins a path under a
// ship root.
import { join } from 'node:path';

export function shipPaths(root: string) {
  return {
    root,
    state: join(root, 'state.json'),
    assets: join(root, 'assets'),
    hqCache: join(root, 'hq.git'),
    hqSnapshots: join(root, 'hq'),
    hqSnapshot: (commit: string) => join(root, 'hq', commit),
    repos: join(root, 'repos'),
    repo: (serviceId: string) => join(root, 'repos', `${serviceId}.git`),
    builds: join(root, 'builds'),
    slugs: join(root, 'slugs'),
    slug: (serviceId: string, commit: string) => join(root, 'slugs', serviceId, commit),
    slugMeta: (serviceId: string, commit: string) => join(root, 'slugs', serviceId, commit, 'meta.json'),
    caches: join(root, 'cache'),
    cache: (serviceId: string) => join(root, 'cache', serviceId),
    bases: join(root, 'bases'),
    // Runtimes the ship fetched itself (the default Node.js), mounted read-only at /starphleet-runtimes.
    runtimes: join(root, 'runtimes'),
    base: (name: string) => join(root, 'bases', name),
    lxcpath: join(root, 'containers'),
    container: (name: string) => join(root, 'containers', name),
    logs: join(root, 'logs'),
    containerLog: (name: string) => join(root, 'logs', `${name}.log`),
    buildLog: (serviceId: string, commit: string) => join(root, 'logs', `build-${serviceId}-${commit.slice(0, 8)}.log`),
    agentLog: join(root, 'logs', 'agent.log'),
    nginx: join(root, 'nginx'),
    nginxConf: join(root, 'nginx', 'nginx.conf'),
    holdSockets: join(root, 'nginx', 'hold'),
    run: join(root, 'run'),
    controlSocket: join(root, 'run', 'control.sock'),
    // nginx makes its unix sockets 0666: this one (it takes POST /peers) sits in a root-only folder.
    nginxControlDir: join(root, 'run', 'nginx-control'),
    nginxControlSocket: join(root, 'run', 'nginx-control', 'control.sock'),
    agentPid: join(root, 'run', 'agent.pid'),
    dashboardSocket: join(root, 'run', 'dashboard.sock'),
    bridgeMark: join(root, 'run', 'bridge-created'),
    metricsPort: join(root, 'run', 'metrics.port'),
    ordersScratch: join(root, 'run', 'orders'),
    dashboardToken: join(root, 'dashboard.token'),
    admiralManaged: join(root, 'admiral-managed'),
    shipEnv: join(root, 'ship.env'),
    ssh: {
      dir: join(root, 'ssh'),
      key: join(root, 'ssh', 'privatize_key'),
      pub: join(root, 'ssh', 'privatize_key.pub'),
      knownHosts: join(root, 'ssh', 'known_hosts'),
    },
    secrets: {
      dir: join(root, 'secrets'),
      shipKey: join(root, 'secrets', 'ship.key'),
      shipPub: join(root, 'secrets', 'ship.pub'),
      set: join(root, 'secrets', 'set.json'),
      admirals: join(root, 'secrets', 'admirals'),
      scratch: join(root, 'secrets', 'tmp'),
    },
    // Certificates: stored with their keys sealed to the ship key (certs/);
    // live copies nginx reads, and the ACME client's work, only on a tmpfs (tls/).
    certs: join(root, 'certs'),
    certFile: (domain: string) => join(root, 'certs', `${domain}.json`),
    tls: join(root, 'tls'),
    tlsLive: (domain: string) => ({ cert: join(root, 'tls', 'live', `${domain}.crt`), key: join(root, 'tls', 'live', `${domain}.key`) }),
    acmeWork: join(root, 'tls', 'acme'),
    acmeWebroot: join(root, 'acme'),
    supervisors: join(root, 'run', 'supervisors'),
    supervisorPid: (name: string) => join(root, 'run', 'supervisors', `${name}.pid`),
    supervisorExit: (name: string) => join(root, 'run', 'supervisors', `${name}.exit`),
  };
}

export type ShipPaths = ReturnType<typeof shipPaths>;
