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
