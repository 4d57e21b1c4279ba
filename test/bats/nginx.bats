#!/usr/bin/env bats
# The nginx front door against a real nginx on 127.0.0.1: config rendered by
# lib/ts/nginx/config.ts (under bun), started/reloaded/stopped by lib/sh/host/nginx-*,
# applied and confirmed by lib/ts/nginx/reload.ts. Upstreams are small node servers.
# Tests share one nginx (setup_file) and run in file order; the ones that
# change the config or stop nginx come last.

REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
BUN="$REPO/node_modules/.bin/bun"
SH="$REPO/lib/sh/host"

setup_file() {
  command -v nginx >/dev/null || skip "nginx is not installed"
  T=$(mktemp -d /tmp/starphleet-nginx-bats.XXXXXX)
  chmod 755 "$T" # nginx workers (nobody) write temp files under the prefix
  export T
  export PREFIX="$T/nginx"
  export CONTROL="$T/nginx/control.sock"
  mkdir -p "$PREFIX"

  # An upstream that reports what it received; /sse streams two events 3 s
  # apart; an Upgrade request gets a websocket handshake and echoes one frame.
  cat >"$T/upstream.mjs" <<'JS'
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
const [name, portFile] = process.argv.slice(2);
const server = http.createServer((req, res) => {
  if (req.url === '/sse') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write('data: first\n\n');
    const later = setTimeout(() => { res.write('data: second\n\n'); res.end(); }, 3000);
    res.on('close', () => clearTimeout(later));
    return;
  }
  // /redirect?to=X, /refresh?to=X, /cookie?path=P: what real apps send back.
  // (at the end of any path: a STRIP_PREFIX=false service gets the full one).
  const { pathname, searchParams: q } = new URL(req.url, 'http://x');
  if (pathname.endsWith('/redirect')) { res.writeHead(302, { location: q.get('to') }); res.end(); return; }
  if (pathname.endsWith('/refresh')) { res.writeHead(200, { refresh: `0; url=${q.get('to')}` }); res.end(); return; }
  if (pathname.endsWith('/cookie')) { res.writeHead(200, { 'set-cookie': `k=v; Path=${q.get('path')}; HttpOnly` }); res.end(); return; }
  const hash = crypto.createHash('sha256');
  let length = 0;
  req.on('data', (chunk) => { hash.update(chunk); length += chunk.length; });
  req.on('end', () => {
    const report = { service: name, method: req.method, url: req.url, headers: req.headers, length, sha256: hash.digest('hex') };
    // A service trying to forge the front door's header: nginx must hide it.
    res.writeHead(200, { 'content-type': 'application/json', 'x-starphleet-service': 'forged' });
    res.end(JSON.stringify(report) + '\n');
  });
});
server.on('upgrade', (req, socket) => {
  const accept = crypto.createHash('sha1')
    .update(req.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${accept}\r\nX-Seen-Url: ${req.url}\r\n\r\n`);
  let buf = Buffer.alloc(0);
  socket.on('data', (data) => {
    buf = Buffer.concat([buf, data]);
    if (buf.length < 6) return;
    const len = buf[1] & 0x7f; // small masked client frames only
    if (buf.length < 6 + len) return;
    const mask = buf.subarray(2, 6);
    const payload = Buffer.from(buf.subarray(6, 6 + len)).map((b, i) => b ^ mask[i % 4]);
    buf = buf.subarray(6 + len);
    socket.write(Buffer.concat([Buffer.from([0x81, payload.length]), payload]));
  });
  socket.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(portFile + '.tmp', String(server.address().port));
  fs.renameSync(portFile + '.tmp', portFile);
});
JS

  cat >"$T/render.ts" <<TS
import { renderNginxConfig } from '$REPO/lib/ts/nginx/config.ts';
import { assets } from '$REPO/lib/ts/core/assets.ts';
process.stdout.write(renderNginxConfig(JSON.parse(process.argv[2]), assets().templates));
TS

  cat >"$T/apply.ts" <<TS
import { readFileSync } from 'node:fs';
import { applyNginxConfig, servingGeneration } from '$REPO/lib/ts/nginx/reload.ts';
const [prefix, confFile, generation, control] = process.argv.slice(2);
try {
  await applyNginxConfig(prefix, readFileSync(confFile, 'utf8'), Number(generation));
  console.log('applied, serving ' + (await servingGeneration(control)));
} catch (err) {
  console.log('error: ' + (err as Error).message);
  process.exit(1);
}
TS

  for name in root api flaky; do
    node "$T/upstream.mjs" "$name" "$T/$name.port" >"$T/$name.log" 2>&1 3>&- &
    echo "$!" >"$T/$name.pid"
  done
  for name in root api flaky; do
    for _ in $(seq 1 50); do [[ -s $T/$name.port ]] && break; sleep 0.1; done
    [[ -s $T/$name.port ]] || { echo "upstream $name did not start" >&2; return 1; }
  done
  PORT=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
  export PORT

  render_config 1 "$(routes_json root api flaky full pending)" >"$PREFIX/nginx.conf"
  "$SH/nginx-start" "$PREFIX" "$PREFIX/nginx.conf"
}

teardown_file() {
  [[ -n ${T:-} && -d $T ]] || return 0
  "$SH/nginx-stop" "$PREFIX" || true
  for pidfile in "$T"/*.pid; do
    [[ -f $pidfile ]] || continue
    kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  rm -rf "$T"
}

# routes_json NAME... : the routes for the named upstreams ("root" at "/",
# "extra" is a second path served by the root upstream, "full" one with
# STRIP_PREFIX=false served by the api upstream, "pending" a path of the HQ
# with nothing live).
routes_json() {
  local name path upstream extra out=""
  for name in "$@"; do
    extra=""
    case $name in
      root) path=/ upstream=root ;;
      extra) path=/extra upstream=root ;;
      full) path=/full upstream=api extra=',"stripPrefix":false' ;;
      pending) out+="${out:+,}{\"path\":\"/pending\",\"serviceId\":\"pending-abc123\",\"upstreams\":[]}"; continue ;;
      *) path="/$name" upstream=$name ;;
    esac
    out+="${out:+,}{\"path\":\"$path\",\"serviceId\":\"$name-abc123\",\"container\":\"$name-abc123--deadbeef-1\",\"upstreams\":[\"127.0.0.1:$(cat "$T/$upstream.port")\"]$extra}"
  done
  echo "[$out]"
}

# render_config GENERATION ROUTES_JSON : the config on stdout.
render_config() {
  "$BUN" "$T/render.ts" "{\"listenPort\":$PORT,\"listenAddresses\":[\"127.0.0.1\"],\"prefix\":\"$PREFIX\",\"controlSocket\":\"$CONTROL\",\"generation\":$1,\"routes\":$2}"
}

# get URL_PATH [curl args...] : status in $status_code, headers in $T/headers, body in $T/body.
get() {
  local path=$1
  shift
  status_code=$(curl -sS --max-time 10 -D "$T/headers" -o "$T/body" -w '%{http_code}' "$@" "http://127.0.0.1:$PORT$path")
}

# field KEY : a field of the JSON report in $T/body ("headers.x-forwarded-prefix").
field() {
  node -e 'let v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    for (const k of process.argv[2].split(".")) v = v?.[k];
    process.stdout.write(v === undefined ? "<none>" : String(v));' "$T/body" "$1"
}

# proc_gone PID : the process has exited (a zombie not yet reaped counts as exited).
proc_gone() {
  local state
  state=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) || return 0
  [ "$state" = Z ]
}

# header NAME : every value of response header NAME in $T/headers, one a line.
header() {
  tr -d '\r' <"$T/headers" | awk -v name="$(echo "$1" | tr '[:upper:]' '[:lower:]')" -F': ' 'tolower($1) == name { print $2 }'
}

@test "nginx runs from the prefix and serves generation 1 on its control socket" {
  [ -S "$CONTROL" ]
  [ -f "$PREFIX/nginx.pid" ]
  kill -0 "$(cat "$PREFIX/nginx.pid")"
  run curl -sS --unix-socket "$CONTROL" http://control/generation
  [ "$status" -eq 0 ]
  [ "$output" = "1" ]
  [ -d "$PREFIX/tmp/client_body" ]
}

@test "the root service gets other paths unchanged" {
  get '/hello/there?x=1'
  [ "$status_code" = 200 ]
  [ "$(field service)" = root ]
  [ "$(field url)" = '/hello/there?x=1' ]
  [ "$(header X-Starphleet-Service)" = / ]
}

@test "GET and HEAD of the bare /api are redirected to /api/ (308, relative, query kept); /api/ reaches the service as /" {
  get /api
  [ "$status_code" = 308 ]
  [ "$(header location)" = /api/ ]
  [ "$(header x-starphleet-service)" = /api ]
  get '/api?x=1&y=2'
  [ "$(header location)" = '/api/?x=1&y=2' ]
  get /api -I -H 'Host: evil.example'
  [ "$status_code" = 308 ]
  [ "$(header location)" = /api/ ]
  get /api/
  [ "$status_code" = 200 ]
  [ "$(field service)" = api ]
  [ "$(field url)" = / ]
}

@test "the app's root in Location and Refresh moves under the mount; under it already, or another host's, stays" {
  for case in "/lib/ /api/lib/" "/ /api/" "/api/x /api/x" "/api /api" "/apiary /api/apiary" \
    "http://127.0.0.1:$PORT/posts/3 http://127.0.0.1:$PORT/api/posts/3" \
    "http://127.0.0.1:$PORT/api/posts/3 http://127.0.0.1:$PORT/api/posts/3" \
    "https://github.com/login https://github.com/login" "//evil.example/x //evil.example/x"; do
    read -r to want <<<"$case"
    get "/api/redirect?to=$(node -p 'encodeURIComponent(process.argv[1])' "$to")"
    [ "$status_code" = 302 ]
    [ "$(header location)" = "$want" ] || { echo "Location $to became $(header location), not $want"; return 1; }
  done
  get "/api/refresh?to=%2Fnext"
  [ "$(header refresh)" = "0; url=/api/next" ]
}

@test "cookie paths at the app's root move under the mount; under it already, they stay" {
  for case in "/ /api" "/cart /api/cart" "/api/cart /api/cart"; do
    read -r path want <<<"$case"
    get "/api/cookie?path=$(node -p 'encodeURIComponent(process.argv[1])' "$path")"
    [ "$(header set-cookie)" = "k=v; Path=$want; HttpOnly" ] || { echo "Path=$path became: $(header set-cookie)"; return 1; }
  done
}

@test "STRIP_PREFIX=false: the full path reaches the service, the bare path too; nothing is redirected or rewritten" {
  get /full/x?y=1
  [ "$status_code" = 200 ]
  [ "$(field url)" = '/full/x?y=1' ]
  [ "$(field headers.x-forwarded-prefix)" = '<none>' ]
  get /full
  [ "$status_code" = 200 ]
  [ "$(field url)" = /full ]
  get "/full/redirect?to=%2Flib%2F"
  [ "$(header location)" = /lib/ ]
  [ "$(header x-starphleet-service)" = /full ]
}

@test "a path of the HQ with nothing live answers its own 503 with Retry-After, never the root service's answer" {
  for path in /pending /pending/ /pending/x?y=1; do
    get "$path"
    [ "$status_code" = 503 ]
    [ "$(header x-starphleet-service)" = /pending ]
    [ "$(header retry-after)" = 5 ]
    [ "$(cat "$T/body")" = "service unavailable" ]
  done
}

@test "/api POST stays a POST with its body, no 301" {
  get /api --data-binary 'hello=world'
  [ "$status_code" = 200 ]
  [ "$(field method)" = POST ]
  [ "$(field url)" = / ]
  [ "$(field length)" = 11 ]
}

@test "/api/x?y=1 arrives as /x?y=1" {
  get '/api/x?y=1'
  [ "$status_code" = 200 ]
  [ "$(field service)" = api ]
  [ "$(field url)" = '/x?y=1' ]
}

@test "/apiary is not /api: it goes to the root service unchanged" {
  get /apiary
  [ "$status_code" = 200 ]
  [ "$(field service)" = root ]
  [ "$(field url)" = /apiary ]
}

@test "both X-Starphleet headers on a normal answer, once, not forgeable" {
  get /api/x
  [ "$status_code" = 200 ]
  [ "$(header X-Starphleet-Service)" = /api ]
  [ "$(header X-Starphleet-Container)" = api-abc123--deadbeef-1 ]
}

@test "forwarded headers arrive; X-Forwarded-Prefix only from the front door" {
  get /api/x -H 'Host: example.test:8080'
  [ "$(field headers.x-forwarded-prefix)" = /api ]
  [ "$(field headers.x-forwarded-for)" = 127.0.0.1 ]
  [ "$(field headers.x-forwarded-proto)" = http ]
  [ "$(field headers.x-forwarded-host)" = example.test ]
  [ "$(field headers.host)" = example.test:8080 ]
  get /somewhere -H 'X-Forwarded-Prefix: /spoofed'
  [ "$(field service)" = root ]
  [ "$(field headers.x-forwarded-prefix)" = '<none>' ]
}

@test "a 5 MB POST body passes intact" {
  head -c 5242880 /dev/urandom >"$T/big"
  get /api/upload --data-binary "@$T/big" -H 'Content-Type: application/octet-stream'
  [ "$status_code" = 200 ]
  [ "$(field length)" = 5242880 ]
  [ "$(field sha256)" = "$(sha256sum "$T/big" | cut -d' ' -f1)" ]
}

@test "server-sent events: the first event arrives before the stream ends" {
  # The second event comes 3 s later; curl gives up after 1.5 s.
  run curl -sS -N --max-time 1.5 "http://127.0.0.1:$PORT/api/sse"
  [ "$status" -eq 28 ] # timed out: the stream was still open
  [[ $output == *"data: first"* ]]
  [[ $output != *"data: second"* ]]
}

@test "websocket: 101 through the prefix, one frame echoed" {
  run node -e '
    const net = require("net");
    const s = net.connect(Number(process.argv[1]), "127.0.0.1", () => s.write(
      "GET /api/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
    let buf = Buffer.alloc(0), upgraded = false;
    s.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        for (const line of buf.subarray(0, end).toString().split("\r\n")) console.log(line);
        buf = buf.subarray(end + 4);
        upgraded = true;
        const mask = Buffer.from([1, 2, 3, 4]), text = Buffer.from("hello");
        s.write(Buffer.concat([Buffer.from([0x81, 0x80 | text.length]), mask, text.map((b, i) => b ^ mask[i % 4])]));
      }
      if (buf.length >= 2 && buf.length >= 2 + (buf[1] & 0x7f)) {
        console.log("echo: " + buf.subarray(2, 2 + (buf[1] & 0x7f)).toString());
        s.end();
        process.exit(0);
      }
    });
    setTimeout(() => { console.log("timed out"); process.exit(1); }, 5000);
  ' "$PORT"
  [ "$status" -eq 0 ]
  [[ ${lines[0]} == "HTTP/1.1 101 Switching Protocols"* ]]
  [[ $output == *"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="* ]]
  [[ $output == *"X-Seen-Url: /ws"* ]]
  [[ $output == *"X-Starphleet-Service: /api"* ]]
  [[ $output == *"echo: hello"* ]]
}

@test "upstream down: 502 still carries both X-Starphleet headers" {
  get /flaky/
  [ "$status_code" = 200 ]
  [ "$(field service)" = flaky ]
  pid=$(cat "$T/flaky.pid")
  kill "$pid"
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$T/flaky.pid"
  get /flaky/
  [ "$status_code" = 502 ]
  [ "$(header X-Starphleet-Service)" = /flaky ]
  [ "$(header X-Starphleet-Container)" = flaky-abc123--deadbeef-1 ]
}

@test "nginx-start on a running nginx reloads it (one master, still serving)" {
  before=$(cat "$PREFIX/nginx.pid")
  run "$SH/nginx-start" "$PREFIX" "$PREFIX/nginx.conf"
  [ "$status" -eq 0 ]
  [ "$(cat "$PREFIX/nginx.pid")" = "$before" ]
  get /api/
  [ "$status_code" = 200 ]
}

@test "nginx-reload refuses a broken config; the old one keeps serving" {
  cp "$PREFIX/nginx.conf" "$T/live.before"
  sed -e 's#location /api/ {#location /api/ broken {#' "$PREFIX/nginx.conf" >"$PREFIX/nginx.conf.next"
  run "$SH/nginx-reload" "$PREFIX" "$PREFIX/nginx.conf.next" "$PREFIX/nginx.conf"
  [ "$status" -eq 1 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ $output == *"invalid location modifier \"/api/\""* ]]
  cmp "$PREFIX/nginx.conf" "$T/live.before"

  { cat "$PREFIX/nginx.conf"; echo 'this is not nginx;'; } >"$PREFIX/nginx.conf.next"
  run "$SH/nginx-reload" "$PREFIX" "$PREFIX/nginx.conf.next" "$PREFIX/nginx.conf"
  [ "$status" -eq 1 ]
  [[ $output == *'unknown directive "this"'* ]]
  cmp "$PREFIX/nginx.conf" "$T/live.before"

  get /api/still
  [ "$status_code" = 200 ]
  [ "$(field url)" = /still ]
  [ "$(curl -sS --unix-socket "$CONTROL" http://control/generation)" = 1 ]
}

@test "applyNginxConfig refuses a broken config with nginx's reason on one line" {
  cp "$PREFIX/nginx.conf" "$T/live.before"
  render_config 2 "$(routes_json root api)" | sed -e 's/keepalive 32;/keepalive many;/' >"$T/broken.conf"
  run "$BUN" "$T/apply.ts" "$PREFIX" "$T/broken.conf" 2 "$CONTROL"
  [ "$status" -eq 1 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ $output == "error: nginx-reload: nginx -t: [emerg] invalid value \"many\""* ]]
  cmp "$PREFIX/nginx.conf" "$T/live.before"
  [ "$(curl -sS --unix-socket "$CONTROL" http://control/generation)" = 1 ]
}

@test "applyNginxConfig reloads and confirms the new generation; it serves at once" {
  render_config 2 "$(routes_json api extra)" >"$T/gen2.conf"
  run "$BUN" "$T/apply.ts" "$PREFIX" "$T/gen2.conf" 2 "$CONTROL"
  [ "$status" -eq 0 ]
  [ "$output" = "applied, serving 2" ]
  cmp "$PREFIX/nginx.conf" "$T/gen2.conf"
  [ ! -e "$PREFIX/nginx.conf.next" ]
  # No waiting: confirmed means the new routes answer now.
  get /extra/q
  [ "$status_code" = 200 ]
  [ "$(field service)" = root ]
  [ "$(field url)" = /q ]
  get /nothing-here
  [ "$status_code" = 404 ]
  [ "$(cat "$T/body")" = "no service at this path" ]
  [ -z "$(header X-Starphleet-Service)" ]

  # The same generation with other content is refused: it would confirm nothing.
  render_config 2 "$(routes_json api)" >"$T/gen2b.conf"
  run "$BUN" "$T/apply.ts" "$PREFIX" "$T/gen2b.conf" 2 "$CONTROL"
  [ "$status" -eq 1 ]
  [[ $output == *"already serves generation 2"* ]]
  # ...but re-applying exactly what is serving is a no-op.
  run "$BUN" "$T/apply.ts" "$PREFIX" "$T/gen2.conf" 2 "$CONTROL"
  [ "$status" -eq 0 ]
}

@test "nginx-stop stops everything; stopping again is fine; apply starts it" {
  master=$(cat "$PREFIX/nginx.pid")
  workers=$(pgrep -P "$master")
  [ -n "$workers" ]
  run "$SH/nginx-stop" "$PREFIX"
  [ "$status" -eq 0 ]
  for pid in $master $workers; do
    proc_gone "$pid"
  done
  [ ! -e "$PREFIX/nginx.pid" ]
  run curl -sS --max-time 2 "http://127.0.0.1:$PORT/api"
  [ "$status" -ne 0 ]
  run "$SH/nginx-stop" "$PREFIX"
  [ "$status" -eq 0 ]

  # With nothing running, applying a config starts nginx and confirms it.
  render_config 3 "$(routes_json api)" >"$T/gen3.conf"
  run "$BUN" "$T/apply.ts" "$PREFIX" "$T/gen3.conf" 3 "$CONTROL"
  [ "$status" -eq 0 ]
  [ "$output" = "applied, serving 3" ]
  run "$SH/nginx-stop" "$PREFIX"
  [ "$status" -eq 0 ]
  [ ! -e "$PREFIX/nginx.pid" ]
}
