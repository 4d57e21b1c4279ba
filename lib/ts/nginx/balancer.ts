// Pure: a front load balancer config for a phleet's ships (nginx snippet or
// haproxy.cfg) from lib/templates/balancer-*.njk. `starphleet balancer`.
import nunjucks from 'nunjucks';

export interface BalancedShip {
  name: string;
  host: string;      // address or host name the balancer reaches it at
  httpPort: number;  // its front door (default 80)
}

export interface BalancerInput {
  phleet: string;
  format: 'nginx' | 'haproxy';
  listen: string;    // "80", "127.0.0.1:8080", "[::]:80"
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
  const ships = input.ships.map((s) => {
    if (!HOST.test(s.host)) throw new Error(`ship ${s.name}: '${s.host}' is not a host name or address`);
    if (!NAME.test(s.name)) throw new Error(`ship name '${s.name}' may only use letters, digits and . _ -`);
    if (!Number.isInteger(s.httpPort) || s.httpPort < 1 || s.httpPort > 65535) throw new Error(`ship ${s.name}: port ${s.httpPort} is not 1-65535`);
    return { name: s.name, address: `${s.host}:${s.httpPort}` };
  });
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(templatesDir), {
    autoescape: false, throwOnUndefined: true, trimBlocks: true, lstripBlocks: true,
  });
  const listen = input.format === 'haproxy' && !input.listen.includes(':') ? `*:${input.listen}` : input.listen;
  return env.render(`balancer-${input.format}.${input.format === 'nginx' ? 'conf' : 'cfg'}.njk`, {
    phleet: input.phleet,
    phleetId: input.phleet.replace(/[^A-Za-z0-9]+/g, '_'),
    listen,
    ships,
    maxFails: 1,
    failTimeout: 5,
  });
}
