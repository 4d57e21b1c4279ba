// Pure: the ship's nginx.conf from its routes (lib/templates/nginx.conf.njk).
// Every value is validated before it reaches the template, so a service path
// or container name can never inject nginx syntax. No I/O besides reading the
// template; applying the result is lib/ts/nginx.ts.
import { createHash } from 'node:crypto';
import { templateEnvironment } from '../core/templates.js';
import { pathUnder } from './domains.js';
import { peersOf } from './peers.js';

export interface NginxRoute {
  path: string;        // "/" or "/api", "/users/admin": no trailing slash
  serviceId: string;   // e.g. "api-1a2b3c" (service-names.ts)
  // The container serving it, sent as X-Starphleet-Container. Absent: the
  // service is in the HQ but nothing of it is live yet; its path answers 503.
  container?: string;
  upstreams: string[]; // "10.0.3.10:3000"; at least one when there is a container
  // Several web instances: the container behind each upstream (same order),
  // so X-Starphleet-Container names the one that answered.
  upstreamContainers?: string[];
  // The agent's hold socket (hold-proxy.ts): nginx's backup upstream, used
  // only when no container of the service accepts the connection.
  holdSocket?: string;
  // false (orders STRIP_PREFIX=false): the service gets the full path and
  // owns its base path: no bare-path redirect, no header rewriting.
  stripPrefix?: boolean;
  // Host names this service owns (orders DOMAINS, conflicts already settled):
  // each serves it at "/" and the services below it at their relative paths.
  domains?: string[];
  hsts?: boolean;      // orders HSTS=1: Strict-Transport-Security on its HTTPS answers
}

/** HTTPS: the certificates nginx can load now (files on the ship's tmpfs). */
export interface NginxTls {
  httpsPort: number;
  certs: Record<string, { cert: string; key: string; fingerprint?: string }>;   // domain → live files (and the certificate's hash: a new one changes the config)
  /** Names with an own certificate (cert add) that no service claims: the ship's whole path tree (and dashboard) over HTTPS. */
  shipNames?: string[];
}

export interface NginxInput {
  listenPort: number;
  prefix: string;        // ROOT/nginx: pid, error.log, tmp/ live here
  controlSocket: string; // unix socket answering GET /generation
  generation: number;    // non-negative integer, new for every apply
  routes: NginxRoute[];
  clientMaxBodySize?: string;            // default "100m"
  workerShutdownTimeoutSeconds?: number; // default 40
  user?: string;                         // worker user; nginx's default when absent
  // Where to listen; default ["0.0.0.0", "[::]"]. Drop "[::]" on a host
  // without IPv6 (see ipv6Available() in nginx.ts): nginx refuses to start.
  listenAddresses?: string[];
  // The agent's dashboard socket: /starphleet/ is proxied to it (dashboard.ts).
  dashboardSocket?: string;
  // ACME HTTP-01: /.well-known/acme-challenge/ on every host name, from here.
  acmeWebroot?: string;
  tls?: NginxTls;
  /** The agent's metrics socket ("127.0.0.1:PORT"): one syslog datagram per request to a service. */
  metricsAddress?: string;
}

export const DEFAULT_CLIENT_MAX_BODY_SIZE = '100m';
export const DEFAULT_WORKER_SHUTDOWN_TIMEOUT_SECONDS = 40;
export const DEFAULT_LISTEN_ADDRESSES: readonly string[] = ['0.0.0.0', '[::]'];

/** The nginx upstream name for a service: `sp_<readable>_<hash of the exact id>`. */
export function upstreamName(serviceId: string): string {
  if (serviceId === '') throw new Error('service id must not be empty');
  const readable = serviceId.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 40);
  const hash = createHash('sha1').update(serviceId).digest('hex').slice(0, 8);
  return `sp_${readable || 'svc'}_${hash}`;
}

const PATH_SEGMENT = /^[A-Za-z0-9._~@+,=:-]+$/;

/** Why a service path cannot be routed, or null when it can. */
export function servicePathProblem(path: string): string | null {
  if (!path.startsWith('/')) return 'must start with "/"';
  if (/\s/.test(path)) return 'must not contain whitespace';
  if (path.includes(';')) return 'must not contain ";"';
  if (/[{}]/.test(path)) return 'must not contain "{" or "}"';
  if (/["'`]/.test(path)) return 'must not contain quotes';
  if (path.includes('..')) return 'must not contain ".."';
  if (path === '/') return null;
  if (path === '/starphleet' || path.startsWith('/starphleet/')) return 'is reserved: /starphleet/ belongs to the ship (dashboard)';
  if (path.endsWith('/')) return 'must not end with "/"';
  if (path.includes('//')) return 'must not contain "//"';
  const bad = path.slice(1).split('/').find((segment) => !PATH_SEGMENT.test(segment));
  if (bad !== undefined) return `segment "${bad}" may only use letters, digits and . _ ~ @ + , = : -`;
  return null;
}

export function validateServicePath(path: string): void {
  const problem = servicePathProblem(path);
  if (problem) throw new Error(`service path ${JSON.stringify(path)} ${problem}`);
}

const SAFE_FS_PATH = /^\/[A-Za-z0-9._/@+,=:~-]*$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const USER = /^[a-z_][a-z0-9_-]*$/;
const BODY_SIZE = /^[0-9]+[kKmMgG]?$/;
const IPV4 = /^(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}$/;
const IPV6_BRACKETED = /^\[[0-9A-Fa-f:.]+\]$/;
const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;

function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

function validateUpstream(server: string, path: string): void {
  const m = /^(.+):([0-9]{1,5})$/.exec(server);
  const host = m?.[1] ?? '';
  if (!m || !isPort(Number(m[2])) || !(IPV4.test(host) || IPV6_BRACKETED.test(host) || HOSTNAME.test(host))) {
    throw new Error(`service ${path}: upstream ${JSON.stringify(server)} must look like 10.0.3.10:3000`);
  }
}

function validateFsPath(what: string, value: string): void {
  if (!SAFE_FS_PATH.test(value) || value.includes('..')) {
    throw new Error(`${what} ${JSON.stringify(value)} must be an absolute path of letters, digits and . _ / @ + , = : ~ -`);
  }
}

function validateListenAddress(address: string): void {
  if (!(IPV4.test(address) || IPV6_BRACKETED.test(address) || address === '*')) {
    throw new Error(`listen address ${JSON.stringify(address)} must be an IPv4 address, "*" or a bracketed IPv6 address`);
  }
}

/** The route as the template sees it. */
interface RenderedRoute extends NginxRoute {
  upstream: string;
  pending: boolean;      // nothing live: 503
  // Its containers for the shared table the balancer reads: "ADDRESS=NAME ..." (peers.ts).
  peers: string;
}

/** A route where one server block mounts it: `mount` is its path there. */
interface Mount extends RenderedRoute {
  mount: string;         // "/" or "/api": the location's path in this server
  mountRegex: string;    // the mount with regex metacharacters escaped
  strip: boolean;
  forwardedPrefix: string;
}

/** One server block: the default (every service at its HQ path), or a domain. */
interface ServerBlock {
  names: string[] | null;   // null: the default server
  mounts: Mount[];
  hasRoot: boolean;
  // A domain with a certificate: its HTTP block only redirects (308) to HTTPS
  // (the challenge path excepted), and an HTTPS block serves it.
  https: boolean;           // this block listens on the HTTPS port
  redirect: string | null;  // this HTTP block redirects everything to this origin
  cert: { cert: string; key: string; fingerprint?: string } | null;
  note: string;             // what it serves, for the comment above it
}

function mountAt(route: RenderedRoute, mount: string): Mount {
  const strip = route.stripPrefix !== false && mount !== '/';
  return { ...route, mount, mountRegex: pathRegex(mount), strip, forwardedPrefix: strip ? mount : '' };
}

/** A service path inside a PCRE (paths hold only letters, digits, / and . _ ~ @ + , = : -). */
export function pathRegex(path: string): string {
  return path.replace(/[.+]/g, (c) => `\\${c}`);
}

/** The template's whole context, defaults filled in, after validation. */
export interface NginxTemplateContext {
  listenPort: number;
  listenAddresses: string[];
  prefix: string;
  controlSocket: string;
  generation: number;
  clientMaxBodySize: string;
  workerShutdownTimeoutSeconds: number;
  user: string | null;
  hasRoot: boolean;
  routes: RenderedRoute[];
  servers: ServerBlock[];
  dashboardSocket: string | null;
  acmeWebroot: string | null;
  metricsAddress: string | null;
  httpsPort: number;
}

/** Validate the input and fill in defaults; throws one clear Error per problem. */
export function nginxTemplateContext(input: NginxInput): NginxTemplateContext {
  if (!isPort(input.listenPort)) throw new Error(`listen port must be 1-65535, got ${input.listenPort}`);
  validateFsPath('nginx prefix', input.prefix);
  validateFsPath('control socket', input.controlSocket);
  if (input.dashboardSocket !== undefined) validateFsPath('dashboard socket', input.dashboardSocket);
  if (!Number.isSafeInteger(input.generation) || input.generation < 0) {
    throw new Error(`generation must be a non-negative integer, got ${input.generation}`);
  }
  const clientMaxBodySize = input.clientMaxBodySize ?? DEFAULT_CLIENT_MAX_BODY_SIZE;
  if (!BODY_SIZE.test(clientMaxBodySize)) {
    throw new Error(`client_max_body_size must look like 100m, got ${JSON.stringify(clientMaxBodySize)}`);
  }
  const workerShutdownTimeoutSeconds = input.workerShutdownTimeoutSeconds ?? DEFAULT_WORKER_SHUTDOWN_TIMEOUT_SECONDS;
  if (!Number.isSafeInteger(workerShutdownTimeoutSeconds) || workerShutdownTimeoutSeconds < 1) {
    throw new Error(`worker shutdown timeout must be a positive number of seconds, got ${workerShutdownTimeoutSeconds}`);
  }
  if (input.user !== undefined && !USER.test(input.user)) {
    throw new Error(`nginx user ${JSON.stringify(input.user)} is not a valid user name`);
  }
  const listenAddresses = [...(input.listenAddresses ?? DEFAULT_LISTEN_ADDRESSES)];
  if (listenAddresses.length === 0) throw new Error('at least one listen address is needed');
  listenAddresses.forEach(validateListenAddress);

  const paths = new Set<string>();
  const ids = new Set<string>();
  const routes = input.routes.map((route): RenderedRoute => {
    validateServicePath(route.path);
    if (paths.has(route.path)) throw new Error(`service path ${route.path} is routed twice`);
    paths.add(route.path);
    if (ids.has(route.serviceId)) throw new Error(`service id ${route.serviceId} is routed twice`);
    ids.add(route.serviceId);
    if (!NAME.test(route.serviceId)) {
      throw new Error(`service ${route.path}: service id ${JSON.stringify(route.serviceId)} may only use letters, digits and . _ -`);
    }
    const pending = route.container === undefined;
    if (!pending && !NAME.test(route.container ?? '')) {
      throw new Error(`service ${route.path}: container name ${JSON.stringify(route.container)} may only use letters, digits and . _ -`);
    }
    if (!pending && route.upstreams.length === 0) throw new Error(`service ${route.path} has no upstream`);
    route.upstreams.forEach((server) => validateUpstream(server, route.path));
    const named = route.upstreamContainers ?? [];
    if (named.length > 0 && named.length !== route.upstreams.length) throw new Error(`service ${route.path}: ${named.length} container names for ${route.upstreams.length} upstreams`);
    for (const n of named) {
      if (!NAME.test(n)) throw new Error(`service ${route.path}: container name ${JSON.stringify(n)} may only use letters, digits and . _ -`);
    }
    if (route.holdSocket !== undefined) validateFsPath(`service ${route.path}: hold socket`, route.holdSocket);
    const domains = route.domains ?? [];
    for (const d of domains) {
      if (!/^[a-z0-9.-]+$/.test(d) || !d.includes('.')) throw new Error(`service ${route.path}: domain ${JSON.stringify(d)} is not a host name`);
    }
    return {
      path: route.path,
      serviceId: route.serviceId,
      container: route.container ?? '',
      upstreams: pending ? [] : [...route.upstreams],
      holdSocket: route.holdSocket,
      stripPrefix: route.stripPrefix,
      domains,
      hsts: route.hsts === true,
      upstream: upstreamName(route.serviceId),
      pending,
      peers: pending ? '' : peersOf(route),
    };
  });
  // Stable output whatever the input order (nginx itself picks the longest
  // prefix); paths are unique, so no two compare equal.
  routes.sort((a, b) => (a.path < b.path ? -1 : 1));

  if (input.acmeWebroot !== undefined) validateFsPath('ACME webroot', input.acmeWebroot);
  if (input.metricsAddress !== undefined && !/^127\.0\.0\.1:\d{1,5}$/.test(input.metricsAddress)) {
    throw new Error(`metrics address ${JSON.stringify(input.metricsAddress)} must be 127.0.0.1:PORT`);
  }
  const httpsPort = input.tls?.httpsPort ?? 443;
  if (!isPort(httpsPort)) throw new Error(`https port must be 1-65535, got ${httpsPort}`);
  for (const [d, files] of Object.entries(input.tls?.certs ?? {})) {
    validateFsPath(`certificate of ${d}`, files.cert);
    validateFsPath(`key of ${d}`, files.key);
    if (files.fingerprint !== undefined && !/^[0-9a-f]*$/.test(files.fingerprint)) throw new Error(`certificate of ${d}: fingerprint must be hex`);
  }
  const servers: ServerBlock[] = [{
    names: null, mounts: routes.map((r) => mountAt(r, r.path)), hasRoot: paths.has('/'), https: false, redirect: null, cert: null, note: '',
  }];
  const named = new Set<string>();
  for (const top of routes) {
    const mounts: Mount[] = [];
    for (const r of routes) {
      const under = pathUnder(top.path, r.path);
      if (under !== null) mounts.push(mountAt(r, under));
    }
    for (const d of [...(top.domains ?? [])].sort()) {
      if (named.has(d)) throw new Error(`domain ${d} is routed twice`);
      named.add(d);
      const cert = input.tls?.certs[d] ?? null;
      const origin = `https://${d}${httpsPort === 443 ? '' : `:${httpsPort}`}`;
      const note = `${top.path} (orders DOMAINS) at "/", the services below it at their paths relative to it`;
      servers.push({ names: [d], mounts, hasRoot: true, https: false, redirect: cert ? origin : null, cert: null, note });
      if (cert) servers.push({ names: [d], mounts, hasRoot: true, https: true, redirect: null, cert, note });
    }
  }
  for (const d of [...new Set(input.tls?.shipNames ?? [])].sort()) {
    const cert = input.tls?.certs[d];
    if (named.has(d) || !cert) continue;
    const origin = `https://${d}${httpsPort === 443 ? '' : `:${httpsPort}`}`;
    const note = 'an own certificate (cert add) no service claims: the whole path tree, as on the ship\'s address';
    servers.push({ names: [d], mounts: servers[0].mounts, hasRoot: paths.has('/'), https: false, redirect: origin, cert: null, note });
    servers.push({ names: [d], mounts: servers[0].mounts, hasRoot: paths.has('/'), https: true, redirect: null, cert, note });
  }

  return {
    listenPort: input.listenPort,
    listenAddresses,
    prefix: input.prefix.replace(/\/+$/, ''), // "/srv/x/" -> "/srv/x"
    controlSocket: input.controlSocket,
    generation: input.generation,
    clientMaxBodySize,
    workerShutdownTimeoutSeconds,
    user: input.user ?? null,
    hasRoot: paths.has('/'),
    routes,
    servers,
    dashboardSocket: input.dashboardSocket ?? null,
    acmeWebroot: input.acmeWebroot ?? null,
    metricsAddress: input.metricsAddress ?? null,
    httpsPort,
  };
}

/** The whole nginx.conf; throws on invalid input (nothing is rendered). */
export function renderNginxConfig(input: NginxInput, templatesDir: string): string {
  const context = nginxTemplateContext(input);
  return templateEnvironment(templatesDir, { autoescape: false, throwOnUndefined: true, trimBlocks: true, lstripBlocks: true })
    .render('nginx.conf.njk', context);
}

/** The control socket a rendered config listens on (for confirming a reload), or null. */
export function controlSocketOf(config: string): string | null {
  const m = /^\s*listen\s+unix:([^\s;]+)\s*;/m.exec(config);
  return m ? m[1] : null;
}
