// usage: node load.mjs URL SECONDS [CONCURRENCY] [MAX_REQUESTS] [PAUSE_MS]
// A bounded keep-alive request loop (loopback or a test namespace only): prints one JSON line
// {requests, ok, non200, errors, retried, statuses, lastError, p50ms, p99ms, maxms}.
// Stops on its own after SECONDS or MAX_REQUESTS, or earlier when the file
// named by $LOAD_STOP_FILE appears. Each worker pauses PAUSE_MS (default 2)
// between requests, so the loop measures the ship rather than burning CPU.
//
// Like browsers, curl and Go's http.Transport (RFC 9112 §9.3.1), a GET that
// fails on a *reused* keep-alive connection before any byte of the answer
// arrived is retried once on a fresh connection; such retries are counted
// in `retried`, and a failure of the retry is an error. nginx closes idle
// keep-alive connections when a reload retires its old workers.
//
// HTTPS: an https:// URL (still a loopback address); $LOAD_HOST is the host
// name sent (Host header and TLS SNI), $LOAD_CA the PEM file the answer's
// chain must verify against.
import http from 'node:http';
import https from 'node:https';
import { existsSync, readFileSync } from 'node:fs';

const [url, secondsText, concurrencyText = '4', maxText = '200000', pauseText = '2'] = process.argv.slice(2);
const pauseMs = Number(pauseText);
const target = new URL(url);
// Loopback, or a test namespace's address on the bridge the test made (helpers/netns: 10.214.X.Y).
if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname) && !/^10\.214\.\d{1,3}\.\d{1,3}$/.test(target.hostname)) {
  console.error('load.mjs: loopback or test-namespace targets only');
  process.exit(2);
}
const deadline = Date.now() + Number(secondsText) * 1000;
const max = Number(maxText);
const secure = target.protocol === 'https:';
const tls = secure ? { servername: process.env.LOAD_HOST, ca: process.env.LOAD_CA ? readFileSync(process.env.LOAD_CA) : undefined } : {};
const agent = new (secure ? https : http).Agent({ keepAlive: true, maxSockets: Number(concurrencyText), ...tls });
const headers = process.env.LOAD_HOST ? { host: process.env.LOAD_HOST } : {};
const stats = { requests: 0, ok: 0, non200: 0, errors: 0, retried: 0, statuses: {}, lastError: null };
const latencies = [];
const stop = () => Date.now() >= deadline || stats.requests >= max || (process.env.LOAD_STOP_FILE && existsSync(process.env.LOAD_STOP_FILE));

function attempt(fresh = false) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const req = (secure ? https : http).get(url, { agent: fresh ? false : agent, headers, ...tls }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
      res.on('error', (err) => resolve({ error: err.message, answered: true }));
    });
    let reused = false;
    req.on('socket', (socket) => { reused = Boolean(socket._hadRequest) || req.reusedSocket; socket._hadRequest = true; });
    req.setTimeout(10000, () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ error: err.message, reused: reused || req.reusedSocket }));
  });
}

async function one() {
  stats.requests += 1;
  let r = await attempt();
  if (r.error && r.reused && !r.answered) {
    stats.retried += 1;
    r = await attempt(true);
  }
  if (r.error) {
    stats.errors += 1;
    stats.lastError = r.error;
    return;
  }
  latencies.push(r.ms);
  stats.statuses[r.status] = (stats.statuses[r.status] ?? 0) + 1;
  if (r.status === 200) stats.ok += 1;
  else stats.non200 += 1;
}

async function worker() {
  while (!stop()) {
    await one();
    if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
  }
}

await Promise.all(Array.from({ length: Number(concurrencyText) }, worker));
latencies.sort((a, b) => a - b);
const pct = (p) => (latencies.length ? Number(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))].toFixed(2)) : null);
console.log(JSON.stringify({ ...stats, p50ms: pct(0.5), p99ms: pct(0.99), maxms: latencies.length ? Number(latencies[latencies.length - 1].toFixed(2)) : null }));
agent.destroy();
