// The front door's peers: each service's web containers as the shared table
// in nginx holds them ("ADDRESS=NAME ..." by service id), read by the Lua
// balancer for every request (nginx.conf.njk). A rollover changes these, not
// the routing table, so it needs no reload: the agent POSTs the new entries
// to nginx's control socket and every worker sees them at once. The config
// file carries the same table for the next start or reload.
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import type { NginxRoute } from './config.js';

/** "10.0.3.10:3000=api-1 10.0.3.11:3000=api-2" (names validated by config.ts). */
export function peersOf(route: NginxRoute): string {
  const names = route.upstreamContainers ?? route.upstreams.map(() => route.container ?? '');
  return route.upstreams.map((u, i) => `${u}=${names[i]}`).join(' ');
}

/** The control request's body: one "ID<TAB>PEERS" line per routed service. */
export function peersBody(routes: NginxRoute[]): string {
  return routes.filter((r) => r.container !== undefined && r.upstreams.length > 0).map((r) => `${r.serviceId}\t${peersOf(r)}\n`).join('');
}

const PEERS_BEGIN = '-- peers begin';
const PEERS_END = '-- peers end';

/** The config without its peers table: two configs equal this way route alike, and differ only in containers. */
export function withoutPeers(config: string): string {
  const a = config.indexOf(PEERS_BEGIN);
  const b = config.indexOf(PEERS_END);
  if (a === -1 || b === -1 || b < a) return config;
  return config.slice(0, a) + config.slice(b);
}

/** Hand the table to the running nginx (through its control socket); resolves when it answered "ok N". */
export function pushPeers(controlSocket: string, body: string, timeoutMs = 5000): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: controlSocket, path: '/peers', method: 'POST', headers: { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => {
        const m = /^ok (\d+)/.exec(text);
        if (res.statusCode === 200 && m) resolve(Number(m[1]));
        else reject(new Error(`nginx did not take the new containers (${res.statusCode}): ${text.trim().slice(0, 200)}`));
      });
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`nginx did not answer on ${controlSocket} within ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The nginx modules the config loads (Debian's packages). */
export const LUA_MODULES = ['/usr/lib/nginx/modules/ndk_http_module.so', '/usr/lib/nginx/modules/ngx_http_lua_module.so'];

/** Why this host's nginx cannot run the ship's config, or null. */
export function luaModuleProblem(exists: (path: string) => boolean = existsSync): string | null {
  const missing = LUA_MODULES.filter((m) => !exists(m));
  if (missing.length === 0 && exists('/usr/share/lua/5.1/resty/core.lua')) return null;
  return `nginx's Lua module is missing (${missing[0] ?? '/usr/share/lua/5.1/resty/core.lua'}): install Debian's libnginx-mod-http-lua and lua-resty-core (lib/sh/host/install-system-packages does)`;
}

/** The open websocket and event streams nginx counts, by service id (GET /streams on its control socket). */
export function readStreams(controlSocket: string, timeoutMs = 2000): Promise<Map<string, number>> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: controlSocket, path: '/streams', method: 'GET' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => {
        if (res.statusCode !== 200) { reject(new Error(`nginx answered ${res.statusCode} for /streams`)); return; }
        const counts = new Map<string, number>();
        for (const line of text.split('\n')) {
          const [id, n] = line.split('\t');
          if (id && /^\d+$/.test(n ?? '')) counts.set(id, Number(n));
        }
        resolve(counts);
      });
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('nginx did not answer /streams')));
    req.on('error', reject);
    req.end();
  });
}
