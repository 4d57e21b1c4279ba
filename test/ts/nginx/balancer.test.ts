import t from 'tap';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { balancerShipName, renderBalancer } from '../../../lib/ts/nginx/balancer.js';

const templates = join(fileURLToPath(import.meta.url), '..', '..', '..', '..', 'lib', 'templates');
const ships = [
  { name: 'ship1', host: '10.214.1.11', httpPort: 80 },
  { name: 'ship2', host: '10.214.1.12', httpPort: 8080 },
];

t.test('nginx: one upstream server per ship, retries on the next ship, websockets passed', async (t) => {
  const c = renderBalancer({ phleet: 'prod', format: 'nginx', listen: '127.0.0.1:8000', ships }, templates);
  t.match(c, /server 10\.214\.1\.11:80 max_fails=1 fail_timeout=5s;/);
  t.match(c, /server 10\.214\.1\.12:8080 max_fails=1 fail_timeout=5s;/);
  t.match(c, /listen 127\.0\.0\.1:8000;/);
  t.match(c, /proxy_next_upstream error timeout http_502 http_503 http_504;/);
  t.match(c, /proxy_next_upstream_tries 2;/);
  t.match(c, /proxy_set_header Upgrade \$http_upgrade;/);
  t.match(c, /proxy_buffering off;/);
  t.equal((c.match(/\{/g) ?? []).length, (c.match(/\}/g) ?? []).length, 'balanced braces');
});

t.test('haproxy: health-checked servers and retries', async (t) => {
  const c = renderBalancer({ phleet: 'prod', format: 'haproxy', listen: '80', ships }, templates);
  t.match(c, /bind \*:80/);
  t.match(c, /option httpchk GET \/starphleet\/health/);
  t.match(c, /server ship1 10\.214\.1\.11:80 check/);
  t.match(c, /retry-on conn-failure empty-response response-timeout 502 503 504/);
  t.match(c, /timeout tunnel 1h/);
});

t.test('bad input is one clear error', async (t) => {
  t.throws(() => renderBalancer({ phleet: 'p', format: 'nginx', listen: '80', ships: [] }, templates), /has no ships/);
  t.throws(() => renderBalancer({ phleet: 'p', format: 'nginx', listen: '80;x', ships }, templates), /--listen/);
  t.throws(() => renderBalancer({ phleet: 'p', format: 'nginx', listen: '80', ships: [{ name: 'a', host: 'x;y', httpPort: 80 }] }, templates), /not a host/);
});

t.test('a local ship is named by its root: a name the configs take', async (t) => {
  t.equal(balancerShipName('/var/starphleet'), 'var-starphleet');
  t.equal(balancerShipName('/tmp/a b/ship_1.x'), 'tmp-a-b-ship_1.x');
  t.equal(balancerShipName('/'), 'local');
});

t.test('ACME challenges: tried on every ship in turn, in an upstream whose 404s mark no ship failed', async (t) => {
  const c = renderBalancer({ phleet: 'prod', format: 'nginx', listen: '80', ships }, templates);
  const acme = /upstream starphleet_prod_acme \{([^}]*)\}/.exec(c)?.[1] ?? '';
  t.match(acme, 'server 10.214.1.11:80 max_fails=0;');
  t.match(acme, 'server 10.214.1.12:8080 max_fails=0;');
  t.match(c, /location \^~ \/\.well-known\/acme-challenge\/ \{\s*proxy_pass http:\/\/starphleet_prod_acme;[\s\S]*proxy_next_upstream error timeout http_404/);
  const h = renderBalancer({ phleet: 'prod', format: 'haproxy', listen: '80', ships }, templates);
  t.match(h, 'use_backend ships_prod_acme if acme_challenge');
  t.match(h, /backend ships_prod_acme[\s\S]*retry-on 404 conn-failure/);
});

t.test('TLS passes through: an nginx stream block, or a haproxy TCP frontend, to each ship\'s HTTPS port', async (t) => {
  const s = renderBalancer({ phleet: 'prod', format: 'nginx-stream', listen: '443', ships: [...ships, { name: 'ship3', host: 'c.example', httpPort: 80, httpsPort: 8443 }] }, templates);
  t.match(s, /^stream \{/m);
  t.match(s, 'server 10.214.1.11:443 max_fails=1 fail_timeout=5s;');
  t.match(s, 'server c.example:8443 max_fails=1');
  t.match(s, /listen 443;\s*proxy_pass starphleet_prod_tls;/);
  t.notMatch(s, 'ssl_certificate', 'the balancer holds no certificate');
  t.equal((s.match(/\{/g) ?? []).length, (s.match(/\}/g) ?? []).length, 'balanced braces');
  const h = renderBalancer({ phleet: 'prod', format: 'haproxy', listen: '80', httpsListen: '443', ships }, templates);
  t.match(h, /frontend starphleet_prod_tls\s*mode tcp\s*bind \*:443/);
  t.match(h, 'server ship1 10.214.1.11:443 check');
  t.notMatch(renderBalancer({ phleet: 'prod', format: 'haproxy', listen: '80', ships }, templates), 'mode tcp', 'no TLS frontend unless asked');
  t.throws(() => renderBalancer({ phleet: 'p', format: 'nginx', listen: '80', httpsListen: '443', ships }, templates), /--https-listen is for --format haproxy/);
});
