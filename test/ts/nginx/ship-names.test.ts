// An own certificate no service claims (the ships' own name): the whole
// path tree and the dashboard over HTTPS at it; HTTP there redirects.
import t from 'tap';
import { assets } from '../../../lib/ts/core/assets.js';
import { renderNginxConfig } from '../../../lib/ts/nginx/config.js';

const cert = (d: string): { cert: string; key: string } => ({ cert: `/srv/sp/tls/live/${d}.crt`, key: `/srv/sp/tls/live/${d}.key` });

t.test('an own certificate for a name no service claims serves the default tree over HTTPS', async (t) => {
  const c = renderNginxConfig({
    listenPort: 80, prefix: '/srv/sp/nginx', controlSocket: '/srv/sp/run/nginx-control.sock', generation: 1,
    dashboardSocket: '/srv/sp/run/dashboard.sock', acmeWebroot: '/srv/sp/acme',
    tls: { httpsPort: 443, certs: { 'ships.example.com': cert('ships.example.com'), 'shop.example.com': cert('shop.example.com') }, shipNames: ['ships.example.com', 'shop.example.com'] },
    routes: [
      { path: '/api', serviceId: 'api_1', container: 'api_1--c-1', upstreams: ['10.0.0.2:3000'] },
      { path: '/shop', serviceId: 'shop_1', container: 'shop_1--c-1', upstreams: ['10.0.0.3:3000'], domains: ['shop.example.com'] },
    ],
  }, assets().templates);
  const servers = c.split(/\n  server \{/).slice(1);
  const https = servers.find((s) => s.includes('server_name ships.example.com;') && s.includes(' ssl;')) ?? '';
  const http = servers.find((s) => s.includes('server_name ships.example.com;') && !s.includes(' ssl;')) ?? '';
  t.match(https, 'ssl_certificate /srv/sp/tls/live/ships.example.com.crt;');
  t.match(https, /location \/api\/ \{[\s\S]*proxy_pass http:\/\/sp_api_1_/, 'the path tree, as on the ship address');
  t.match(https, /location \/shop\/ \{/);
  t.match(https, 'location ^~ /starphleet/ {', 'the dashboard');
  t.match(https, 'no service at this path', 'no service at /: a plain 404');
  t.match(http, 'return 308 https://ships.example.com$request_uri;');
  t.match(http, 'acme-challenge');
  t.equal(servers.filter((s) => s.includes('server_name shop.example.com;')).length, 2, 'a claimed name keeps its one pair of servers');
});
