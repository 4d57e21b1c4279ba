import t from 'tap';
import { assets } from '../../../lib/ts/core/assets.js';
import { renderNginxConfig } from '../../../lib/ts/nginx/config.js';

// "/docs" (exact) tells the service the prefix came without its slash, so a
// static site can redirect to "/docs/"; "/docs/..." and "/" say nothing (and
// a client cannot send the header through: proxy_set_header replaces it).
t.test('X-Starphleet-Bare-Prefix: "1" only in the exact prefix location', async (t) => {
  const c = renderNginxConfig({
    listenPort: 8080, prefix: '/var/starphleet/nginx', controlSocket: '/var/starphleet/run/nginx-control.sock', generation: 1,
    routes: [
      { path: '/', serviceId: 'root-abc123', container: 'root-abc123--deadbeef-1', upstreams: ['10.0.3.9:8080'] },
      { path: '/docs', serviceId: 'docs-abc123', container: 'docs-abc123--deadbeef-1', upstreams: ['10.0.3.10:8080'] },
    ],
  }, assets().templates);
  const block = (spec: string): string => {
    const start = c.indexOf(`location ${spec} {`);
    t.ok(start >= 0, `location ${spec}`);
    return c.slice(start, c.indexOf('}', start) + 1);
  };
  t.match(block('= /docs'), /proxy_set_header X-Starphleet-Bare-Prefix "1";/);
  t.match(block('/docs/'), /proxy_set_header X-Starphleet-Bare-Prefix "";/);
  t.match(block('/'), /proxy_set_header X-Starphleet-Bare-Prefix "";/);
});
