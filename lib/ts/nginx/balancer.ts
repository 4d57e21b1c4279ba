// Pure: a front load balancer config for a phleet's ships (an nginx http
// snippet, an nginx stream block for TLS passthrough, or a haproxy.cfg) from
// lib/templates/balancer-*.njk. `starphleet balancer`.
import { templateEnvironment } from '../core/templates.js';

export interface BalancedShip {
  name: string;
  host: string;      // address or host name the balancer reaches it at
  httpPort: number;  // its front door (default 80)
  httpsPort?: number; // its HTTPS port (default 443), for TLS passthrough
}

export interface BalancerInput {
  phleet: string;
  format: 'nginx' | 'nginx-stream' | 'haproxy';
  listen: string;    // "80", "127.0.0.1:8080", "[::]:80"
  httpsListen?: string;  // haproxy: a TLS passthrough frontend too
  ships: BalancedShip[];
}

const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$/;
const LISTEN = /^((\[[0-9A-Fa-f:.]+\]|[0-9.]+|\*):)?[0-9]{1,5}$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** A local ship is named by its root path: a name the configs take ('/var/starphleet' → 'var-starphleet'). */
export function balancerShipName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'local';
}

export function renderBalancer(input: BalancerInput, templatesDir: string): string {
  if (input.ships.length === 0) throw new Error(`phleet ${input.phleet} has no ships: add one with 'starphleet add ship TARGET'`);
  if (!LISTEN.test(input.listen)) throw new Error(`--listen '${input.listen}' must look like 80, 127.0.0.1:8080 or [::]:80`);
  if (input.httpsListen !== undefined && !LISTEN.test(input.httpsListen)) throw new Error(`--https-listen '${input.httpsListen}' must look like 443, 127.0.0.1:8443 or [::]:443`);
  if (input.httpsListen !== undefined && input.format !== 'haproxy') throw new Error('--https-listen is for --format haproxy; nginx passes TLS through with --format nginx-stream');
  const ships = input.ships.map((s) => {
    if (!HOST.test(s.host)) throw new Error(`ship ${s.name}: '${s.host}' is not a host name or address`);
    if (!NAME.test(s.name)) throw new Error(`ship name '${s.name}' may only use letters, digits and . _ -`);
    for (const port of [s.httpPort, s.httpsPort ?? 443]) {
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`ship ${s.name}: port ${port} is not 1-65535`);
    }
    return { name: s.name, address: `${s.host}:${s.httpPort}`, tlsAddress: `${s.host}:${s.httpsPort ?? 443}` };
  });
  const env = templateEnvironment(templatesDir, { autoescape: false, throwOnUndefined: true, trimBlocks: true, lstripBlocks: true });
  const star = (l: string): string => (input.format === 'haproxy' && !l.includes(':') ? `*:${l}` : l);
  return env.render(`balancer-${input.format}.${input.format === 'haproxy' ? 'cfg' : 'conf'}.njk`, {
    phleet: input.phleet,
    phleetId: input.phleet.replace(/[^A-Za-z0-9]+/g, '_'),
    listen: star(input.listen),
    httpsListen: input.httpsListen !== undefined ? star(input.httpsListen) : null,
    ships,
    maxFails: 1,
    failTimeout: 5,
  });
}
