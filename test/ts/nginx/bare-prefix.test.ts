import t from 'tap';
import { assets } from '../../../lib/ts/core/assets.js';
import { pathRegex, renderNginxConfig, type NginxRoute } from '../../../lib/ts/nginx/config.js';

// The front door keeps an app's URLs intact: the bare mount path, redirects
// and cookie paths, STRIP_PREFIX=false, and paths with nothing live yet.

const render = (routes: NginxRoute[]): string => renderNginxConfig({
  listenPort: 8080, prefix: '/var/starphleet/nginx', controlSocket: '/var/starphleet/run/nginx-control.sock', generation: 1, routes,
}, assets().templates);

const live = (path: string, name: string, extra: Partial<NginxRoute> = {}): NginxRoute => ({
  path, serviceId: `${name}-abc123`, container: `${name}-abc123--deadbeef-1`, upstreams: ['10.0.3.10:8080'], ...extra,
});

/** The whole `location SPEC { ... }` block, nested `if` included. */
function block(c: string, spec: string): string {
  const start = c.indexOf(`location ${spec} {`);
  if (start < 0) throw new Error(`no location ${spec}`);
  let depth = 0;
  for (let i = c.indexOf('{', start); i < c.length; i++) {
    if (c[i] === '{') depth += 1;
    else if (c[i] === '}' && --depth === 0) return c.slice(start, i + 1);
  }
  throw new Error(`unbalanced location ${spec}`);
}

t.test('the bare mount path: GET and HEAD are redirected (308, query kept); other methods reach the service, told it came bare', async (t) => {
  const c = render([live('/', 'root'), live('/docs', 'docs')]);
  const bare = block(c, '= /docs');
  t.match(bare, /if \(\$request_method ~ \^\(GET\|HEAD\)\$\) \{\s*return 308 \/docs\/\$is_args\$args;/);
  t.match(bare, /set \$starphleet_bare "1";/);
  t.match(c, /^  proxy_set_header X-Starphleet-Bare-Prefix \$starphleet_bare;$/m, 'sent from the http block, inherited');
  t.notMatch(bare, /proxy_set_header/, 'no header of its own: it would inherit none');
  t.match(block(c, '/docs/'), /set \$starphleet_bare "";/);
  t.notMatch(block(c, '/docs/'), /return 308/);
  t.match(block(c, '/'), /set \$starphleet_bare "";/);
  t.match(c, /^\s*absolute_redirect off;$/m, 'the redirect is relative: no Host header in it');
});

t.test('with the prefix stripped, Location, Refresh and cookie paths at the app root move under the mount', async (t) => {
  const docs = block(render([live('/docs', 'docs')]), '/docs/');
  t.match(docs, 'proxy_pass http://sp_docs_abc123_');
  t.match(docs, /proxy_pass http:\/\/\S+\/;/, 'the prefix is stripped');
  t.match(docs, 'proxy_redirect "~^(https?://[^/]+)?/docs([/?#].*)?$" "$1/docs$2";', 'already under the mount: unchanged (first rule wins)');
  t.match(docs, 'proxy_redirect http://$http_host/ http://$http_host/docs/;', "the request's own host");
  t.match(docs, 'proxy_redirect https://$http_host/ https://$http_host/docs/;');
  t.match(docs, 'proxy_redirect "~^/(?!/)(.*)$" "/docs/$1";', 'root-relative; protocol-relative //host is not');
  t.match(docs, 'proxy_cookie_path "~^/$" "/docs";', 'the root cookie covers the bare mount too');
  t.match(docs, 'proxy_cookie_path "~^(?!/docs(?:/|$))/(.*)$" "/docs/$1";');
  t.notMatch(block(render([live('/', 'root')]), '/'), 'proxy_redirect "', 'the root service keeps its URLs');
});

t.test('regex metacharacters a path may hold are escaped', async (t) => {
  t.equal(pathRegex('/a.b/c+d'), '/a\\.b/c\\+d');
  t.match(block(render([live('/v1.2', 'v12')]), '/v1.2/'), 'proxy_redirect "~^(https?://[^/]+)?/v1\\.2([/?#].*)?$" "$1/v1.2$2";');
});

t.test('STRIP_PREFIX=false: the full path, no redirect, no rewriting, no X-Forwarded-Prefix', async (t) => {
  const c = render([live('/next', 'next', { stripPrefix: false })]);
  for (const spec of ['= /next', '/next/']) {
    const b = block(c, spec);
    t.match(b, /proxy_pass http:\/\/sp_next_abc123_[0-9a-f]+;/, `${spec}: URI passed as is`);
    t.notMatch(b, 'return 308');
    t.match(b, 'proxy_redirect off;');
    t.notMatch(b, 'proxy_cookie_path');
    t.match(b, 'set $starphleet_prefix "";', 'no X-Forwarded-Prefix (an empty header is not sent)');
  }
});

t.test('a path with nothing live answers its own 503, with Retry-After, and has no upstream', async (t) => {
  const c = render([live('/', 'root'), { path: '/pypi', serviceId: 'pypi-abc123', upstreams: [] }]);
  for (const spec of ['= /pypi', '/pypi/']) {
    const b = block(c, spec);
    t.match(b, 'return 503 "service unavailable\\n";');
    t.match(b, 'add_header Retry-After 5 always;');
    t.match(b, 'add_header X-Starphleet-Service "/pypi" always;');
    t.notMatch(b, 'proxy_pass');
  }
  t.notMatch(c, 'upstream sp_pypi_abc123_', 'no upstream block for it');
  const rootPending = render([{ path: '/', serviceId: 'root-abc123', upstreams: [] }]);
  t.match(block(rootPending, '/'), 'return 503');
  t.notMatch(rootPending, 'no service at this path', 'the pending root is the catch-all');
});

t.test('DOMAINS: a server block per owner, it at "/", the services below it at their relative paths', async (t) => {
  const c = render([
    live('/', 'root'),
    live('/shop', 'shop', { domains: ['www.shop.example.com', 'shop.example.com'] }),
    live('/shop/api', 'shopapi'),
    live('/other', 'other'),
  ]);
  const servers = c.split(/\n  server \{/).slice(1);
  const named = servers.find((s) => s.includes('server_name shop.example.com;'));
  t.ok(named, 'a server for each name');
  t.ok(servers.find((s) => s.includes('server_name www.shop.example.com;')));
  t.notMatch(named ?? '', 'default_server');
  t.match(named ?? '', /location \/ \{\s*set \$starphleet_service "\/shop";(\s*set \$\w+ "";|\s*log_by_lua_block \{[^}]*\})*\s*proxy_pass http:\/\/sp_shop_abc123_[0-9a-f]+;/, 'the owner at /, its URI unchanged');
  t.match(block(named ?? '', '/api/'), /proxy_pass http:\/\/sp_shopapi_abc123_[0-9a-f]+\/;/, '/shop/api at /api, stripped');
  t.match(block(named ?? '', '/api/'), 'add_header X-Starphleet-Service "/shop/api" always;', 'the header names the HQ path');
  t.match(block(named ?? '', '/api/'), 'proxy_redirect "~^/(?!/)(.*)$" "/api/$1";', 'rewritten to where it is mounted on this host');
  t.notMatch(named ?? '', 'sp_other_abc123', 'services not below it are not on its host');
  t.notMatch(named ?? '', 'sp_root_abc123');
  const fallback = servers.find((s) => s.includes('server_name _;'));
  t.match(fallback ?? '', 'default_server', 'unknown host names get the default tree');
  t.match(block(fallback ?? '', '/shop/'), /sp_shop_abc123/, 'the path tree stays as it is');
  t.throws(() => render([live('/a', 'a', { domains: ['x.example.com'] }), live('/b', 'b', { domains: ['x.example.com'] })]), /domain x\.example\.com is routed twice/);
});

t.test('a domain with a certificate: HTTP redirects (308) to HTTPS at that name, the challenge path excepted; HTTPS serves it', async (t) => {
  const c = renderNginxConfig({
    listenPort: 8080, prefix: '/var/starphleet/nginx', controlSocket: '/var/starphleet/run/nginx-control.sock', generation: 1,
    acmeWebroot: '/var/starphleet/acme',
    tls: { httpsPort: 8443, certs: { 'shop.example.com': { cert: '/var/starphleet/tls/live/shop.example.com.crt', key: '/var/starphleet/tls/live/shop.example.com.key' } } },
    routes: [live('/shop', 'shop', { domains: ['shop.example.com', 'new.example.com'], hsts: true })],
  }, assets().templates);
  const servers = c.split(/\n  server \{/).slice(1);
  const http = servers.find((s) => s.includes('server_name shop.example.com;') && !s.includes(' ssl;')) ?? '';
  const https = servers.find((s) => s.includes('server_name shop.example.com;') && s.includes(' ssl;')) ?? '';
  t.match(http, /location \^~ \/\.well-known\/acme-challenge\/ \{\s*root \/var\/starphleet\/acme;/);
  t.match(http, 'return 308 https://shop.example.com:8443$request_uri;', 'the configured name and HTTPS port, never $host');
  t.notMatch(http, 'proxy_pass');
  t.match(https, 'listen 0.0.0.0:8443 ssl;');
  t.match(https, 'ssl_certificate /var/starphleet/tls/live/shop.example.com.crt;');
  t.match(https, 'ssl_certificate_key /var/starphleet/tls/live/shop.example.com.key;');
  t.match(https, /proxy_pass http:\/\/sp_shop_abc123_/);
  t.match(https, 'Strict-Transport-Security "max-age=31536000"', 'HSTS=1 over HTTPS');
  t.notMatch(https, 'acme-challenge');
  const pending = servers.find((s) => s.includes('server_name new.example.com;')) ?? '';
  t.match(pending, /proxy_pass http:\/\/sp_shop_abc123_/, 'no certificate yet: served over HTTP');
  t.match(pending, 'acme-challenge');
  t.notMatch(pending, 'Strict-Transport-Security', 'never HSTS over plain HTTP');
  t.notMatch(c, /listen \S+:8443 ssl;[\s\S]*server_name new\.example\.com;/, 'no HTTPS block without a certificate');
  const none = render([live('/shop', 'shop', { domains: ['shop.example.com'] })]);
  t.notMatch(none, ' ssl;', 'no certificate at all: nothing listens for HTTPS');
});
