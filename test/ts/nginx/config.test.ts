import t from 'tap';
import { assets } from '../../../lib/ts/core/assets.js';
import {
  controlSocketOf,
  nginxTemplateContext,
  renderNginxConfig,
  servicePathProblem,
  upstreamName,
  validateServicePath,
  type NginxInput,
  type NginxRoute,
} from '../../../lib/ts/nginx/config.js';
import { luaModuleProblem, peersBody, withoutPeers } from '../../../lib/ts/nginx/peers.js';

const templates = assets().templates;

const route = (path: string, name: string, upstreams = ['10.0.3.10:3000']): NginxRoute => ({
  path,
  serviceId: `${name}-abc123`,
  container: `${name}-abc123--deadbeef-1`,
  upstreams,
});

const base = (routes: NginxRoute[], extra: Partial<NginxInput> = {}): NginxInput => ({
  listenPort: 8080,
  prefix: '/var/starphleet/nginx',
  controlSocket: '/var/starphleet/run/nginx-control.sock',
  generation: 7,
  routes,
  ...extra,
});

const render = (routes: NginxRoute[], extra: Partial<NginxInput> = {}): string =>
  renderNginxConfig(base(routes, extra), templates);

/** The whole first `location <spec> { ... }` block, nested blocks (an `if`) included. */
function location(config: string, spec: string): string | null {
  const start = config.indexOf(`location ${spec} {`);
  if (start < 0) return null;
  let depth = 0;
  for (let i = config.indexOf('{', start); i < config.length; i++) {
    if (config[i] === '{') depth += 1;
    else if (config[i] === '}' && --depth === 0) return config.slice(start, i + 1);
  }
  return null;
}

/** The public server block's text (everything before the control server). */
function publicPart(config: string): string {
  const control = config.lastIndexOf('server {', config.indexOf('listen unix:'));
  return config.slice(0, control);
}

function upstreamBlocks(config: string): number {
  return (config.match(/^\s*upstream \S+ \{/gm) ?? []).length;
}

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

t.test('process-level settings: everything under the prefix', async (t) => {
  const c = render([]);
  t.match(c, /^daemon on;$/m);
  t.match(c, /^pid \/var\/starphleet\/nginx\/nginx\.pid;$/m);
  t.match(c, /^error_log \/var\/starphleet\/nginx\/error\.log warn;$/m);
  t.match(c, /^\s*access_log off;$/m);
  t.match(c, /^worker_shutdown_timeout 40s;$/m, 'default worker_shutdown_timeout');
  t.match(c, /^\s*client_max_body_size 100m;$/m, 'default body size');
  for (const dir of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    t.match(c, new RegExp(`^\\s*${dir}_temp_path /var/starphleet/nginx/tmp/${dir};$`, 'm'), `${dir} temp path`);
  }
  t.notMatch(c, /^user /m, 'no user directive unless asked');
  const files = c.split('\n').filter((line) => !/^\s*location /.test(line)).join('\n');
  const paths = files.match(/(?<=[\s:])\/[A-Za-z][^\s;"]*/g) ?? [];
  t.ok(paths.length >= 8, 'found the absolute paths');
  const modules = ['/usr/lib/nginx/modules/ndk_http_module.so', '/usr/lib/nginx/modules/ngx_http_lua_module.so'];
  for (const m of modules) t.match(c, new RegExp(`^load_module ${m.replace(/[./]/g, (x) => `\\${x}`)};$`, 'm'), `${m} loaded (Debian's lua module)`);
  for (const path of paths.filter((p) => !modules.includes(p) && !/^\/(peers|streams)\.?$/.test(p))) {
    t.ok(path.startsWith('/var/starphleet/nginx/') || path === '/var/starphleet/run/nginx-control.sock', `${path} is the ship's`);
  }

  const custom = render([], { clientMaxBodySize: '5m', workerShutdownTimeoutSeconds: 9, user: 'www-data', prefix: '/srv/ship/nginx/' });
  t.match(custom, /^\s*client_max_body_size 5m;$/m);
  t.match(custom, /^worker_shutdown_timeout 9s;$/m);
  t.match(custom, /^user www-data;$/m);
  t.match(custom, /^pid \/srv\/ship\/nginx\/nginx\.pid;$/m, 'trailing slash of the prefix dropped');
});

t.test('no routes: listen, control socket, 404 for everything', async (t) => {
  const c = render([]);
  t.match(c, /^\s*listen 0\.0\.0\.0:8080 default_server;$/m);
  t.match(c, /^\s*listen \[::\]:8080 default_server;$/m);
  t.equal(upstreamBlocks(c), 0, 'no upstream blocks');
  const notFound = location(c, '/');
  t.ok(notFound, 'a catch-all location');
  t.match(notFound, /return 404 "[^"]+";/, 'short text 404');
  t.match(notFound, /default_type text\/plain;/);
  t.match(c, /^\s*listen unix:\/var\/starphleet\/run\/nginx-control\.sock;$/m);
  t.match(location(c, '= /generation'), /return 200 "7";/, 'generation on the control socket');

  const v4only = render([], { listenAddresses: ['127.0.0.1'], listenPort: 18080 });
  t.match(v4only, /^\s*listen 127\.0\.0\.1:18080 default_server;$/m);
  t.notMatch(v4only, /listen \[::\]/);
});

t.test('one root service: URI passed unchanged', async (t) => {
  const c = render([route('/', 'root', ['10.0.3.10:3000'])]);
  const up = upstreamName('root-abc123');
  t.match(c, new RegExp(`upstream ${up} \\{\\s*server 0\\.0\\.0\\.1:1;[^\\n]*\\n\\s*balancer_by_lua_block \\{ starphleet\\.balance\\("root-abc123"\\) \\}\\s*keepalive 32;\\s*\\}`), 'upstream: a placeholder, the balancer, keepalive');
  t.match(c, /^\s*\["root-abc123"\] = "10\.0\.3\.10:3000=root-abc123--deadbeef-1",$/m, 'its container in the peers table');
  t.notMatch(c, /server 10\.0\.3\.10:3000/, 'no container address in an upstream block');
  const root = location(c, '/');
  t.ok(root);
  t.match(root, new RegExp(`proxy_pass http://${up};`), 'no URI part: request URI unchanged');
  t.notMatch(root, /return 404/, 'root service replaces the 404');
  t.equal(count(publicPart(c), 'location / {'), 1, 'exactly one location / in the public server');
  t.match(root, /set \$starphleet_prefix "";/, 'empty prefix for /');
  t.match(root, /add_header X-Starphleet-Service "\/" always;/);
  t.match(root, /add_header X-Starphleet-Container \$starphleet_container always;/, 'the container the balancer picked');
  t.notOk(location(c, '= /'), 'no exact location for /');
});

t.test('a prefixed service: exact and prefix locations, both stripping', async (t) => {
  const c = render([route('/api', 'api', ['10.0.3.10:3000', '10.0.3.11:3000'])]);
  const up = upstreamName('api-abc123');
  t.match(c, /^\s*\["api-abc123"\] = "10\.0\.3\.10:3000=api-abc123--deadbeef-1 10\.0\.3\.11:3000=api-abc123--deadbeef-1",$/m, 'both addresses in the peers table');
  const exact = location(c, '= /api');
  const prefix = location(c, '/api/');
  t.ok(exact, 'location = /api (so /api never gets a 301)');
  t.ok(prefix, 'location /api/ (so /apiary does not match)');
  t.notOk(location(c, '/api'), 'no bare prefix location /api');
  for (const [name, block] of [['exact', exact], ['prefix', prefix]] as const) {
    t.match(block, new RegExp(`proxy_pass http://${up}/;`), `${name}: URI part "/" strips the prefix`);
    t.match(block, /set \$starphleet_prefix "\/api";/, `${name}: X-Forwarded-Prefix`);
    t.match(block, /add_header X-Starphleet-Service "\/api" always;/, `${name}: service header, always`);
    t.match(block, /add_header X-Starphleet-Container \$starphleet_container always;/, `${name}: container header, always`);
    t.notMatch(block, /proxy_set_header/, `${name}: none of its own, so it inherits the http block's`);
  }
  // The http block's headers, inherited by every service location.
  const http = c.slice(c.indexOf('http {'), c.indexOf('  server {'));
  t.match(http, /^  proxy_set_header Host \$starphleet_host;$/m, 'Host passed through');
  t.match(http, /^  proxy_set_header Upgrade \$http_upgrade;$/m, 'websocket upgrade');
  t.match(http, /^  proxy_set_header Connection \$connection_upgrade;$/m, 'Connection from the map');
  t.match(http, /^  proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;$/m);
  t.match(http, /^  proxy_set_header X-Forwarded-Proto \$scheme;$/m);
  t.match(http, /^  proxy_set_header X-Forwarded-Host \$host;$/m);
  t.match(http, /^  proxy_set_header X-Forwarded-Prefix \$starphleet_prefix;$/m);
  const catchAll = location(c, '/');
  t.match(catchAll, /return 404/, 'unmatched paths 404 when nothing is at /');
  t.equal(count(c, 'add_header'), 4, 'headers only in the service locations');
});

t.test('shared proxy settings: websockets, SSE, keepalive, retries', async (t) => {
  const c = render([route('/api', 'api')]);
  t.match(c, /map \$http_upgrade \$connection_upgrade \{\s*default upgrade;\s*'' +'';\s*\}/, 'upgrade map keeps keepalive for plain requests');
  t.match(c, /^\s*proxy_http_version 1\.1;$/m);
  t.match(c, /^\s*proxy_buffering off;/m);
  t.match(c, /^\s*proxy_cache off;$/m);
  t.match(c, /^\s*proxy_read_timeout 1h;/m);
  t.match(c, /^\s*proxy_send_timeout 1h;$/m);
  t.match(c, /^\s*proxy_next_upstream error timeout http_502;$/m);
  t.match(c, /^\s*proxy_hide_header X-Starphleet-Service;$/m, 'upstream cannot forge the header');
});

t.test('several routes, nested paths', async (t) => {
  const routes = [route('/users/admin', 'admin'), route('/', 'root'), route('/users', 'users'), route('/api', 'api')];
  const c = render(routes);
  for (const r of routes) {
    t.equal(count(c, `upstream ${upstreamName(r.serviceId)} {`), 1, `one upstream for ${r.path}`);
  }
  t.match(location(c, '= /users'), new RegExp(`proxy_pass http://${upstreamName('users-abc123')}/;`));
  t.match(location(c, '/users/'), new RegExp(`proxy_pass http://${upstreamName('users-abc123')}/;`));
  t.match(location(c, '= /users/admin'), new RegExp(`proxy_pass http://${upstreamName('admin-abc123')}/;`));
  t.match(location(c, '/users/admin/'), new RegExp(`proxy_pass http://${upstreamName('admin-abc123')}/;`));
  t.match(location(c, '/'), new RegExp(`proxy_pass http://${upstreamName('root-abc123')};`));
  t.notMatch(c, /return 404 "/, 'no catch-all 404 with a root service');
  t.equal(count(c, 'location '), 1 + 2 * 3 + 1 + 4, 'root + 2 per prefixed service + ship health + 4 control (generation, streams, peers, 404)');
  t.equal(render([...routes].reverse()), c, 'output does not depend on route order');
  t.equal(count(c, '{'), count(c, '}'), 'balanced braces');
});

t.test('generation is rendered on the control socket and found again', async (t) => {
  const c = render([route('/api', 'api')], { generation: 123456 });
  t.match(location(c, '= /generation'), /return 200 "123456";/);
  t.match(c, /Generation 123456\./, 'header comment names it too');
  t.equal(controlSocketOf(c), '/var/starphleet/run/nginx-control.sock');
  t.equal(controlSocketOf('events {}\nhttp { server { listen 80; } }'), null);
  t.equal(nginxTemplateContext(base([], { generation: 0 })).generation, 0, 'generation 0 is fine');
});

t.test('upstreamName', async (t) => {
  // The same id always names the same upstream across renders: a fixed expected value.
  t.equal(upstreamName('api-abc123'), 'sp_api_abc123_79ece659', 'stable: readable part plus the id\'s sha1 prefix');
  t.match(upstreamName('users.admin-abc123'), /^sp_users_admin_abc123_[0-9a-f]{8}$/);
  t.not(upstreamName('a.b-c'), upstreamName('a-b.c'), 'ids that sanitize alike still differ');
  t.match(upstreamName('...'), /^sp_svc_[0-9a-f]{8}$/, 'nothing readable left');
  t.ok(upstreamName('x'.repeat(200)).length < 60, 'bounded length');
  t.throws(() => upstreamName(''), /must not be empty/);
});

t.test('service path validation', async (t) => {
  for (const ok of ['/', '/api', '/users/admin', '/v1.2', '/a_b-c~d', '/x@y+z,w=v:u']) {
    t.equal(servicePathProblem(ok), null, `${ok} is fine`);
    t.doesNotThrow(() => validateServicePath(ok));
  }
  const bad: Array<[string, RegExp]> = [
    ['api', /must start with "\/"/],
    ['', /must start with "\/"/],
    ['/my api', /whitespace/],
    ['/api\t', /whitespace/],
    ['/a;b', /";"/],
    ['/a{b', /"\{" or "\}"/],
    ['/a}b', /"\{" or "\}"/],
    ['/a"b', /quotes/],
    ["/a'b", /quotes/],
    ['/../etc', /"\.\."/],
    ['/a..b', /"\.\."/],
    ['/api/', /must not end with "\/"/],
    ['/a//b', /"\/\/"/],
    ['/a$b', /segment "a\$b"/],
    ['/a#b', /segment "a#b"/],
    ['/a%20b', /segment "a%20b"/],
  ];
  for (const [path, reason] of bad) {
    t.match(servicePathProblem(path), reason, `${JSON.stringify(path)} refused`);
    t.throws(() => render([route(path, 'x')]), { message: reason }, `render refuses ${JSON.stringify(path)}`);
  }
  t.throws(() => validateServicePath('/a;b'), { message: /^service path "\/a;b" must not contain ";"$/ }, 'message names the path');
});

t.test('other input validation', async (t) => {
  const r = route('/api', 'api');
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['port 0', () => render([r], { listenPort: 0 }), /listen port/],
    ['port 70000', () => render([r], { listenPort: 70000 }), /listen port/],
    ['relative prefix', () => render([r], { prefix: 'nginx' }), /nginx prefix/],
    ['prefix with space', () => render([r], { prefix: '/var/star phleet' }), /nginx prefix/],
    ['prefix with ..', () => render([r], { prefix: '/var/../etc' }), /nginx prefix/],
    ['socket with ;', () => render([r], { controlSocket: '/run/x;y' }), /control socket/],
    ['negative generation', () => render([r], { generation: -1 }), /generation/],
    ['fractional generation', () => render([r], { generation: 1.5 }), /generation/],
    ['body size', () => render([r], { clientMaxBodySize: '100 m' }), /client_max_body_size/],
    ['shutdown timeout', () => render([r], { workerShutdownTimeoutSeconds: 0 }), /worker shutdown timeout/],
    ['user', () => render([r], { user: 'root; evil' }), /nginx user/],
    ['no listen address', () => render([r], { listenAddresses: [] }), /at least one listen address/],
    ['bad listen address', () => render([r], { listenAddresses: ['localhost'] }), /listen address "localhost"/],
    ['duplicate path', () => render([r, { ...route('/api', 'other') }]), /\/api is routed twice/],
    ['duplicate service id', () => render([r, { ...r, path: '/b' }]), /service id api-abc123 is routed twice/],
    ['bad service id', () => render([{ ...r, serviceId: 'a b' }]), /service id "a b"/],
    ['bad container', () => render([{ ...r, container: 'c"; evil' }]), /container name/],
    ['no upstream', () => render([{ ...r, upstreams: [] }]), /has no upstream/],
    ['upstream without port', () => render([{ ...r, upstreams: ['10.0.3.10'] }]), /upstream "10\.0\.3\.10"/],
    ['upstream port 0', () => render([{ ...r, upstreams: ['10.0.3.10:0'] }]), /must look like/],
    ['upstream with ;', () => render([{ ...r, upstreams: ['10.0.3.10:80; evil'] }]), /must look like/],
    ['upstream bad host', () => render([{ ...r, upstreams: ['-x:80'] }]), /must look like/],
  ];
  for (const [name, fn, message] of cases) t.throws(fn, { message }, name);

  t.doesNotThrow(() => render([{ ...r, upstreams: ['[fd00::5]:3000', 'web.local:80', '127.0.0.1:65535'] }]), 'IPv6, host names and port 65535 accepted');
  t.doesNotThrow(() => render([r], { listenAddresses: ['*', '[::1]'] }));
});

t.test('renderer reads the template from the folder it is given', async (t) => {
  t.throws(() => renderNginxConfig(base([]), '/nonexistent-templates'), /nginx\.conf\.njk/);
});

t.test('several web instances: one upstream of them all; X-Starphleet-Container names the one that answered', async (t) => {
  const r: NginxRoute = { ...route('/api', 'api', ['10.0.3.10:3000', '10.0.3.11:3000']), upstreamContainers: ['api-abc123--deadbeef-1', 'api-abc123--deadbeef-2'] };
  const c = render([r]);
  t.match(c, /^\s*\["api-abc123"\] = "10\.0\.3\.10:3000=api-abc123--deadbeef-1 10\.0\.3\.11:3000=api-abc123--deadbeef-2",$/m, 'each address with its container');
  t.match(location(c, '/api/'), /add_header X-Starphleet-Container \$starphleet_container always;/, 'set by the balancer for the one it picked');
  t.throws(() => render([{ ...r, upstreamContainers: ['only-one'] }]), /1 container names for 2 upstreams/);
  t.throws(() => render([{ ...r, upstreamContainers: ['a;b', 'c'] }]), /may only use letters/);
});

t.test('a container change is a change of the peers table only; a new service is not', async (t) => {
  const a = render([route('/api', 'api', ['10.0.3.10:3000'])]);
  const b = render([{ ...route('/api', 'api', ['10.0.3.11:3000']), container: 'api-abc123--cafe-2' }]);
  t.not(a, b);
  t.equal(withoutPeers(a), withoutPeers(b), 'the same routing table');
  t.not(withoutPeers(a), withoutPeers(render([route('/api', 'api'), route('/web', 'web')])), 'a route added');
  t.equal(peersBody([route('/api', 'api', ['10.0.3.10:3000', '10.0.3.11:3000']), { path: '/p', serviceId: 'p-1', upstreams: [] }]),
    'api-abc123\t10.0.3.10:3000=api-abc123--deadbeef-1 10.0.3.11:3000=api-abc123--deadbeef-1\n', 'one line per routed service; a pending one has none');
});

t.test('the hold: nginx hands a request no container accepted to the service\'s hold, stripped as the service gets it', async (t) => {
  const c = render([{ ...route('/api', 'api'), holdSocket: '/var/starphleet/run/hold/api-abc123.sock' }]);
  const up = upstreamName('api-abc123');
  t.match(location(c, '/api/'), new RegExp(`error_page 502 504 = @${up}_hold;`));
  const hold = location(c, `@${up}_hold`);
  t.ok(hold, 'a named location for it');
  t.match(hold, /rewrite "\^\/api\/\?\(\.\*\)\$" \/\$1 break;/, 'the prefix stripped');
  t.match(hold, /proxy_pass http:\/\/unix:\/var\/starphleet\/run\/hold\/api-abc123\.sock:;/);
  t.match(hold, /add_header X-Starphleet-Service "\/api" always;/);
  t.notMatch(location(render([route('/api', 'api')]), '/api/') ?? '', /error_page/, 'no hold socket: no error_page');
});

t.test('a host without nginx\'s Lua module is told what to install', async (t) => {
  t.equal(luaModuleProblem(() => true), null);
  t.match(luaModuleProblem((p) => !p.endsWith('ngx_http_lua_module.so')) ?? '', /ngx_http_lua_module\.so\): install Debian's libnginx-mod-http-lua and lua-resty-core/);
  t.match(luaModuleProblem((p) => !p.endsWith('core.lua')) ?? '', /resty\/core\.lua/);
});

t.test('a renewed certificate changes the config (so nginx reloads to load it); the same one does not', async (t) => {
  const tls = (fingerprint: string) => ({ tls: { httpsPort: 443, certs: { 'shop.test': { cert: '/var/starphleet/tls/shop.test/cert.pem', key: '/var/starphleet/tls/shop.test/key.pem', fingerprint } } } });
  const r = { ...route('/', 'shop'), domains: ['shop.test'] };
  const a = render([r], tls('aaaa1111'));
  t.match(a, /# certificate sha256 aaaa1111/);
  t.not(withoutPeers(a), withoutPeers(render([r], tls('bbbb2222'))), 'a new certificate: a new config');
  t.equal(withoutPeers(a), withoutPeers(render([r], tls('aaaa1111'))));
  t.throws(() => render([r], tls('not hex;')), /fingerprint must be hex/);
});
