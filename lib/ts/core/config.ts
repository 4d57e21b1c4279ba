// Ship settings: command-line flag > environment variable > default.

export interface ShipConfig {
  root: string;
  headquarters?: string;
  httpPort: number;
  pulseSeconds: number;
  bridge: string;
  subnet: string;
  nat: boolean;            // outbound NAT for services (real ships: on)
  base: string;            // default container base: host | debian
  memoryLimit: string;     // per container, e.g. 1024M
  pidsLimit: number;
  drainSeconds: number;    // STARPHLEET_DRAINSTOP_WAIT default
  admiral: string;         // local user for admirals' ssh logins
  knownHosts?: string;     // strict known_hosts file for git over ssh
  gitTimeoutSeconds: number;   // one git fetch, connect included
  buildTimeoutSeconds: number; // one build, from its container's start to its slug
  containerTraffic: 'isolated' | 'open'; // may app containers reach each other on the bridge
  httpsPort: number;                // where HTTPS listens once the ship holds a certificate
  acmeDirectory: string | null;     // ACME directory URL; null: no ACME (STARPHLEET_ACME_DIRECTORY=off)
  acmeEmail?: string;
  acmeCa?: string;                  // a PEM file the ACME client trusts (a private CA: Pebble, step-ca)
}

export const LETS_ENCRYPT_DIRECTORY = 'https://acme-v02.api.letsencrypt.org/directory';

export const DEFAULT_ROOT = '/var/starphleet';

export type Flags = Record<string, string | boolean | undefined>;

function pick(flag: string | boolean | undefined, envValue: string | undefined, fallback: string): string {
  if (typeof flag === 'string') return flag;
  if (envValue !== undefined && envValue !== '') return envValue;
  return fallback;
}

function whole(name: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`${name} must be a whole number from ${min} to ${max}, got '${text}'`);
  }
  return Number(text);
}

export class UsageError extends Error {}

export function resolveRoot(flags: Flags, env: NodeJS.ProcessEnv): string {
  return pick(flags.root, env.STARPHLEET_ROOT, DEFAULT_ROOT);
}

export function resolveShipConfig(flags: Flags, env: NodeJS.ProcessEnv): ShipConfig {
  const natText = pick(flags.nat, env.STARPHLEET_NAT, 'on');
  if (!['on', 'off', '1', '0', 'true', 'false'].includes(natText)) {
    throw new UsageError(`--nat must be on or off, got '${natText}'`);
  }
  const bridge = pick(flags.bridge, env.STARPHLEET_BRIDGE, 'lxcbr0');
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(bridge)) throw new UsageError(`bridge name must be 1-15 of [A-Za-z0-9_.-], got '${bridge}'`);
  const memoryLimit = pick(flags.memory, env.STARPHLEET_MEMORY, '1024M');
  if (!/^\d+[KMG]?$/.test(memoryLimit)) throw new UsageError(`memory limit must look like 512M or 2G, got '${memoryLimit}'`);
  return {
    root: resolveRoot(flags, env),
    headquarters: pick(flags.headquarters, env.STARPHLEET_HEADQUARTERS, '') || undefined,
    httpPort: whole('port', pick(flags.port, env.STARPHLEET_HTTP_PORT, '80'), 1, 65535),
    pulseSeconds: whole('pulse', pick(flags.pulse, env.STARPHLEET_PULSE, '10'), 1, 86400),
    bridge,
    subnet: pick(flags.subnet, env.STARPHLEET_SUBNET, '10.0.3.0/24'),
    nat: ['on', '1', 'true'].includes(natText),
    base: pick(flags.base, env.STARPHLEET_BASE, 'host'),
    memoryLimit,
    pidsLimit: whole('pids limit', pick(undefined, env.STARPHLEET_PIDS, '1024'), 16, 1_000_000),
    drainSeconds: whole('STARPHLEET_DRAINSTOP_WAIT', pick(undefined, env.STARPHLEET_DRAINSTOP_WAIT, '30'), 0, 3600),
    containerTraffic: containerTraffic(env.STARPHLEET_CONTAINER_TRAFFIC),
    gitTimeoutSeconds: whole('STARPHLEET_GIT_TIMEOUT', pick(undefined, env.STARPHLEET_GIT_TIMEOUT, '30'), 1, 3600),
    buildTimeoutSeconds: whole('build timeout', pick(flags['build-timeout'], env.STARPHLEET_BUILD_TIMEOUT, '900'), 10, 86400),
    ...admiralSettings(flags, env),
    ...acmeSettings(flags, env),
  };
}

function acmeSettings(flags: Flags, env: NodeJS.ProcessEnv): Pick<ShipConfig, 'httpsPort' | 'acmeDirectory' | 'acmeEmail' | 'acmeCa'> {
  const directory = pick(flags['acme-directory'], env.STARPHLEET_ACME_DIRECTORY, LETS_ENCRYPT_DIRECTORY);
  if (directory !== 'off' && !/^https:\/\/[^\s/]+(\/\S*)?$/.test(directory)) {
    throw new UsageError(`--acme-directory must be an https:// URL or off, got '${directory}'`);
  }
  const email = pick(flags['acme-email'], env.STARPHLEET_ACME_EMAIL, '') || undefined;
  if (email !== undefined && !/^[^\s@]+@[^\s@]+$/.test(email)) throw new UsageError(`--acme-email must be an e-mail address, got '${email}'`);
  const ca = env.STARPHLEET_ACME_CA || undefined;
  if (ca !== undefined && !ca.startsWith('/')) throw new UsageError(`STARPHLEET_ACME_CA must be an absolute path to a PEM file, got '${ca}'`);
  return {
    httpsPort: whole('https port', pick(flags['https-port'], env.STARPHLEET_HTTPS_PORT, '443'), 1, 65535),
    acmeDirectory: directory === 'off' ? null : directory,
    acmeEmail: email,
    acmeCa: ca,
  };
}

function containerTraffic(text: string | undefined): 'isolated' | 'open' {
  const v = text || 'isolated';
  if (v !== 'isolated' && v !== 'open') throw new UsageError(`STARPHLEET_CONTAINER_TRAFFIC must be isolated or open, got '${v}'`);
  return v;
}

/** Admirals and git over ssh: the admiral user and the known_hosts policy. */
function admiralSettings(flags: Flags, env: NodeJS.ProcessEnv): { admiral: string; knownHosts?: string } {
  const admiral = pick(flags.admiral, env.STARPHLEET_ADMIRAL, 'admiral');
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(admiral)) {
    throw new UsageError(`admiral user name must be 1-32 of [a-z0-9_-] starting with a letter or _, got '${admiral}'`);
  }
  const knownHosts = pick(flags['known-hosts'], env.STARPHLEET_KNOWN_HOSTS, '') || undefined;
  return { admiral, knownHosts };
}
