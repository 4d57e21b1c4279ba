#!/usr/bin/env bats
# The front door keeps real apps' URLs intact, on one real ship with apps
# from the npm registry: http-server's folder redirect and json-server's POST
# Location move under the mount, a Vite build with its own base path runs
# with STRIP_PREFIX=false, an SSE page's bare path is redirected to its
# folder, an express API with no route at / goes live, a path whose build
# failed answers its own 503, and an app listening on 127.0.0.1 fails in
# seconds with the reason.

load helpers/ship

# app NAME: a work folder for a service's source.
app() { mkdir -p "$SP_TMP/src-$1"; echo "$SP_TMP/src-$1"; }

setup_file() {
  sp_init_ship
  cp -a "$REPO_ROOT/test/fixtures/services/node-api/." "$(app root)/"
  sed -i "s/api v1/root v1/" "$SP_TMP/src-root/server.js"

  d=$(app files)
  mkdir -p "$d/public/lib"
  echo '<p>lib index</p>' >"$d/public/lib/index.html"
  cat >"$d/package.json" <<'JSON'
{ "name": "files", "private": true, "scripts": { "start": "http-server public -a 0.0.0.0 -p $PORT -d false" },
  "dependencies": { "http-server": "14.1.1" } }
JSON

  d=$(app posts)
  echo '{ "posts": [ { "id": 1, "title": "first" } ] }' >"$d/db.json"
  cat >"$d/package.json" <<'JSON'
{ "name": "posts", "private": true, "scripts": { "start": "json-server --host 0.0.0.0 --port $PORT db.json" },
  "dependencies": { "json-server": "0.17.4" } }
JSON

  d=$(app hello)
  cat >"$d/package.json" <<'JSON'
{ "name": "hello", "private": true, "scripts": { "start": "node server.js" }, "dependencies": { "express": "4.21.2" } }
JSON
  cat >"$d/server.js" <<'JS'
// An API with no route at "/".
const app = require('express')();
app.get('/hello/:name', (req, res) => res.send(`hello ${req.params.name}`));
app.listen(Number(process.env.PORT));
JS

  d=$(app sse)
  cat >"$d/package.json" <<'JSON'
{ "name": "sse", "private": true, "scripts": { "start": "node server.js" } }
JSON
  cat >"$d/server.js" <<'JS'
// A page whose EventSource URL is relative: it works only under "/sse/".
const http = require('http');
http.createServer((req, res) => {
  if (req.url === '/events') {
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    res.end('data: tick\n\n');
    return;
  }
  res.end('<script>new EventSource("events").onmessage = (e) => document.body.append(e.data);</script>\n');
}).listen(Number(process.env.PORT));
JS

  d=$(app vite)
  mkdir -p "$d/src"
  cat >"$d/package.json" <<'JSON'
{ "name": "vite-app", "private": true, "type": "module",
  "scripts": { "build": "vite build", "start": "vite preview --host 0.0.0.0 --port $PORT --strictPort" },
  "dependencies": { "vite": "5.4.11" } }
JSON
  echo "export default { base: '/vite/' };" >"$d/vite.config.js"
  echo '<!doctype html><div id="app"></div><script type="module" src="/src/main.js"></script>' >"$d/index.html"
  echo 'document.getElementById("app").textContent = "vite app";' >"$d/src/main.js"

  for n in shop shopapi; do
    cp -a "$REPO_ROOT/test/fixtures/services/node-api/." "$(app "$n")/"
    sed -i "s/api v1/$n v1/" "$SP_TMP/src-$n/server.js"
  done

  d=$(app broken)
  echo '{ "name": "broken", "private": true, "scripts": { "build": "echo broken on purpose; exit 3", "start": "node x.js" } }' >"$d/package.json"

  d=$(app local)
  echo '{ "name": "local", "private": true, "scripts": { "start": "node server.js" } }' >"$d/package.json"
  echo 'require("http").createServer((q, s) => s.end("x")).listen(Number(process.env.PORT), "127.0.0.1");' >"$d/server.js"

  sp_hq_init
  for n in root files posts hello sse vite broken shop shopapi; do sp_repo "$n" "$SP_TMP/src-$n" >/dev/null; done
  sp_repo local "$SP_TMP/src-local" >/dev/null
  sp_orders . 3000 root
  sp_orders files 3000 files
  sp_orders api 3000 posts
  sp_orders hello 3000 hello
  sp_orders sse 3000 sse
  sp_orders vite 3000 vite "export STRIP_PREFIX=false"
  sp_orders broken 3000 broken
  sp_orders shop 3000 shop 'export DOMAINS="Shop.test www.shop.test"'
  sp_orders shop/api 3000 shopapi
  # Claims a name /shop owns: /zshop sorts later, so it is this one's error.
  sp_orders zshop 3000 sse 'export DOMAINS="shop.test zshop.test"'
  sp_commit hq "real apps" >/dev/null
  sp_start_ship
  sp_wait_body / "root v1" 120 >/dev/null
}

teardown_file() {
  sp_teardown_ship
}

# head_of PATH [CURL ARGS...]: "CODE LOCATION" of one request, not followed.
head_of() {
  local path=$1
  shift
  curl -s -o /dev/null -w '%{http_code} %header{location}' "$@" "http://127.0.0.1:$SP_PORT$path"
}

@test "http-server at /files: its folder redirect stays under the mount" {
  run sp_wait_body /files/lib/ "lib index" 180
  [ "$status" -eq 0 ]
  run head_of /files/lib
  echo "# GET /files/lib: $output" >&3
  [[ "$output" =~ ^30[12378]\ /files/lib/$ ]]
}

@test "json-server at /api: a POST's Location points under the mount, at this host" {
  run sp_wait_body /api/posts/1 '"title": "first"' 180
  [ "$status" -eq 0 ]
  run curl -s -D - -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"title":"second"}' "http://127.0.0.1:$SP_PORT/api/posts"
  location=$(printf '%s' "$output" | tr -d '\r' | awk -F': ' 'tolower($1) == "location" { print $2 }')
  echo "# POST /api/posts: Location $location" >&3
  [ "$location" = "http://127.0.0.1:$SP_PORT/api/posts/2" ]
  run curl -s "$location"
  [[ "$output" == *'"title": "second"'* ]]
}

@test "an express API with no route at / goes live (any answer below 500 without a healthcheck)" {
  run sp_wait_body /hello/hello/bob "hello bob" 180
  [ "$status" -eq 0 ]
  run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SP_PORT/hello/"
  [ "$output" = 404 ]
}

@test "an SSE page at the bare /sse: GET and HEAD are redirected to /sse/ (query kept), where its relative events URL resolves" {
  run sp_wait_body /sse/ EventSource 120
  [ "$status" -eq 0 ]
  [ "$(head_of /sse)" = "308 /sse/" ]
  [ "$(head_of '/sse?from=1')" = "308 /sse/?from=1" ]
  [ "$(head_of /sse -I)" = "308 /sse/" ]
  run curl -s --max-time 5 "http://127.0.0.1:$SP_PORT/sse/events"
  [ "$output" = "data: tick" ]
}

@test "a Vite build with base /vite/ and STRIP_PREFIX=false: the page and its assets answer under /vite/" {
  run sp_wait_body /vite/ 'assets/index-' 300
  echo "$output" | head -n 5
  [ "$status" -eq 0 ]
  asset=$(printf '%s' "$output" | grep -o '/vite/assets/index-[A-Za-z0-9_-]*\.js' | head -n 1)
  [ -n "$asset" ]
  run curl -s -o /dev/null -w '%{http_code} %header{x-starphleet-service}' "http://127.0.0.1:$SP_PORT$asset"
  [ "$output" = "200 /vite" ]
  run curl -s "http://127.0.0.1:$SP_PORT$asset"
  [[ "$output" == *"vite app"* ]]
}

@test "a path whose first build failed answers its own 503, never the root service's answer" {
  run sp_wait_status "/broken +failed" 120
  [ "$status" -eq 0 ]
  for path in /broken /broken/ /broken/x; do
    run curl -s -D - "http://127.0.0.1:$SP_PORT$path"
    printf '%s' "$output" | grep -q '^HTTP/1.1 503'
    printf '%s' "$output" | grep -qi '^X-Starphleet-Service: /broken'
    printf '%s' "$output" | grep -qi '^Retry-After: 5'
    [[ "$output" != *"root v1"* ]]
  done
}

@test "an app that listens on 127.0.0.1 fails within seconds, saying so, not after the 60 s healthcheck budget" {
  sp_orders local 3000 local
  sp_commit hq "an app on 127.0.0.1" >/dev/null
  committed_at=$SECONDS
  run sp_wait_status "/local .*listens on 127\.0\.0\.1:3000 only" 50
  echo "$output" | grep /local
  [ "$status" -eq 0 ]
  echo "# /local failed $((SECONDS - committed_at)) s after the HQ commit (build included)" >&3
}

@test "DOMAINS: each name serves its service at / and the ones below it at their relative paths; unknown names get the path tree; a second claim is an error" {
  run sp_wait_body /shop/api/ "shopapi v1" 180
  [ "$status" -eq 0 ]
  run sp_wait_body /shop/ "shop v1" 60
  [ "$status" -eq 0 ]
  for host in shop.test www.shop.test SHOP.test; do
    run curl -s -H "Host: $host" "http://127.0.0.1:$SP_PORT/x?y=1"
    [[ "$output" == "shop v1 GET /x?y=1 "* ]] || { echo "$host: $output"; return 1; }
  done
  run curl -s -H "Host: shop.test" "http://127.0.0.1:$SP_PORT/api/hello"
  [[ "$output" == "shopapi v1 GET /hello "* ]]
  run curl -s -D - -o /dev/null -H "Host: shop.test" "http://127.0.0.1:$SP_PORT/api"
  printf '%s' "$output" | tr -d '\r' | grep -qx 'Location: /api/'
  # Only what is below /shop is on its host: / there is /shop itself, not the root service.
  run curl -s -H "Host: shop.test" "http://127.0.0.1:$SP_PORT/files/lib/"
  [[ "$output" != *"lib index"* ]]
  # An unknown name, and the ship's address, get the path tree.
  run curl -s -H "Host: elsewhere.test" "http://127.0.0.1:$SP_PORT/shop/api/"
  [[ "$output" == "shopapi v1 GET / "* ]]
  run curl -s -H "Host: elsewhere.test" "http://127.0.0.1:$SP_PORT/"
  [[ "$output" == "root v1 "* ]]
  # /zshop keeps the name nobody else has, and says which one it did not get.
  run curl -s -H "Host: zshop.test" "http://127.0.0.1:$SP_PORT/"
  [[ "$output" == *EventSource* ]]
  run "$STARPHLEET" status --root "$SP_ROOT" --json
  node -e '
    const d = JSON.parse(process.argv[1]), by = (p) => d.services.find((s) => s.path === p);
    const shop = by("/shop"), zshop = by("/zshop");
    if (JSON.stringify(shop.domains) !== JSON.stringify(["shop.test", "www.shop.test"])) throw new Error("shop: " + shop.domains);
    if (JSON.stringify(zshop.domains) !== JSON.stringify(["zshop.test"])) throw new Error("zshop: " + zshop.domains);
    if (zshop.error !== "DOMAINS: shop.test is already /shop\u0027s (not routed here)") throw new Error("zshop error: " + zshop.error);
  ' "$output"
}
