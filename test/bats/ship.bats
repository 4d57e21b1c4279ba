#!/usr/bin/env bats
# One ship end to end on real LXC, nginx and git: HQ poll → orders →
# buildpack → container → healthcheck → nginx, then a change, a broken
# orders file, websockets, SSE and a clean `ship down`.

load helpers/ship
load helpers/load

setup_file() {
  sp_init_ship
  sp_repo static "$REPO_ROOT/examples/services/static-site" >/dev/null
  sp_repo api "$REPO_ROOT/test/fixtures/services/node-api" >/dev/null
  sp_hq_init
  sp_orders "" 8080 static
  sp_orders api 3000 api
  sp_commit hq "static at /, node at /api" >/dev/null
  sp_start_ship
}

teardown_file() {
  sp_teardown_ship
}

@test "the static site answers at / and the Node service at /api through nginx" {
  run sp_wait_body / "Starphleet static site"
  [ "$status" -eq 0 ]
  run sp_wait_body /api "api v1 GET / "
  [ "$status" -eq 0 ]
}

@test "a Node.js app without engines.node runs on the newest LTS, which the ship fetched from the npm registry" {
  default=$(cat "$SP_ROOT/runtimes/node/default")
  [[ "$default" =~ ^[0-9]*[02468]\.[0-9]+\.[0-9]+$ ]]
  [ "${default%%.*}" -ge 24 ]
  run "$STARPHLEET" attach --root "$SP_ROOT" /api -- node -e 'console.log(process.version, process.execPath)'
  echo "$output"
  [ "$output" = "v$default /starphleet-runtimes/node/$default/bin/node" ]
  grep -q "Using Node.js $default, the newest LTS (no engines.node in package.json)" "$SP_TMP/agent.log"
  # Its headers came with it: node-gyp builds against them, offline.
  [ -f "$SP_ROOT/runtimes/node/$default/include/node/node_api.h" ]
  echo "# default Node.js $default" >&3
}

@test "sqlite3 from the npm registry compiles with node-gyp against the node in use (no download from the Node.js site) and answers a query" {
  sp_repo sqlite "$REPO_ROOT/test/fixtures/services/node-sqlite" >/dev/null
  # From source: prebuild-install would fetch a binary from GitHub.
  sp_orders sqlite 3000 sqlite "export npm_config_build_from_source=true"
  sp_commit hq "a native module" >/dev/null
  started=$SECONDS
  run sp_wait_body /sqlite/ "^sqlite says 42 \(SQLite 3\.[0-9.]+, node v$(cat "$SP_ROOT/runtimes/node/default")\)$" 600
  echo "$output"
  [ "$status" -eq 0 ]
  echo "# sqlite3 built from source and live in $((SECONDS - started)) s" >&3
  # Compiled here (not a prebuilt binary), against the headers the ship's node
  # came with: node-gyp never fetched any into its cache.
  compgen -G "$SP_ROOT/slugs/sqlite-*/*/app/node_modules/sqlite3/build/Release/node_sqlite3.node" >/dev/null
  run compgen -G "$SP_ROOT/cache/sqlite-*/home/.cache/node-gyp"
  [ "$status" -ne 0 ]
  rm -rf "$SP_WORK/hq/sqlite"
  sp_commit hq "no sqlite" >/dev/null
}

@test "a Flask app whose Flask comes from its Aptfile (Debian's python3-flask, no package index) goes live" {
  sp_repo flask "$REPO_ROOT/test/fixtures/services/flask-aptfile" >/dev/null
  sp_orders flask 5000 flask
  sp_commit hq "flask from an Aptfile" >/dev/null
  run sp_wait_body /flask/ "^hello from Flask 2\.[0-9.]+ via the Aptfile$" 180
  echo "$output"
  [ "$status" -eq 0 ]
  log=$(ls "$SP_ROOT"/logs/build-flask-*.log)
  grep -q -- "-----> Installing from the Aptfile: python3-flask" "$log"
  # requirements.txt asks for flask>=2.0: the Aptfile's counts, pip installs nothing.
  grep -qE "flask 2\.[0-9.]+ is already there" "$log"
  grep -q "every requirement is already there" "$log"
  compgen -G "$SP_ROOT/slugs/flask-*/*/app/.apt/usr/lib/python3/dist-packages/flask" >/dev/null
  rm -rf "$SP_WORK/hq/flask"
  sp_commit hq "no flask" >/dev/null
}

@test "the app runs as an unprivileged user with HOME=/app, exec'd directly: no npm resident between it and its supervisor" {
  run curl -s "http://127.0.0.1:$SP_PORT/api/"
  [[ "$output" == *"user=10000 home=/app"* ]]
  # `npm start` was resolved at build time to the start script, `node server.js`.
  grep -q -- '-----> Slug ready: web: node server.js' "$(ls -t "$SP_ROOT"/logs/build-api-*.log | head -n 1)"
  run "$STARPHLEET" attach /api --root "$SP_ROOT" -- sh -c 'for p in /proc/[0-9]*; do tr "\0" " " <"$p/cmdline"; echo; done'
  echo "$output"
  [[ "$output" == *"node server.js"* ]]
  [[ "$output" != *"npm"* ]]
}

@test "/api without a slash reaches the service for POST too, /apiary does not match /api" {
  run curl -s -X POST -d 'x=1' -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SP_PORT/api"
  [ "$output" = "200" ]
  run curl -s -X POST --data-binary 'hello' "http://127.0.0.1:$SP_PORT/api/echo-request"
  [[ "$output" == *'"method":"POST"'* ]]
  [[ "$output" == *'"bytes":5'* ]]
  [[ "$output" == *'"prefix":"/api"'* ]]
  # A 5 MB body passes (nginx's default limit is 1 MB).
  head -c 5000000 /dev/zero >"$SP_TMP/body"
  run curl -s -X POST --data-binary "@$SP_TMP/body" "http://127.0.0.1:$SP_PORT/api/echo-request"
  [[ "$output" == *'"bytes":5000000'* ]]
  run curl -s "http://127.0.0.1:$SP_PORT/apiary"
  [[ "$output" != *"api v1"* ]]
}

@test "every answer carries X-Starphleet-Service and X-Starphleet-Container" {
  run curl -s -D - -o /dev/null "http://127.0.0.1:$SP_PORT/api/x?y=1"
  [[ "$output" == *"X-Starphleet-Service: /api"* ]]
  [[ "$output" =~ X-Starphleet-Container:\ api-[0-9a-f]{6}--[0-9a-f]{8}-[0-9]+ ]]
}

@test "a websocket echo and a server-sent event stream pass through the front door" {
  run node "$REPO_ROOT/test/bats/helpers/ws-echo.mjs" "ws://127.0.0.1:$SP_PORT/api/" "ping-123"
  [ "$status" -eq 0 ]
  [ "$output" = "echo: ping-123" ]
  # Events arrive one by one (not buffered until the end of the stream).
  run bash -c "curl -sN --max-time 5 http://127.0.0.1:$SP_PORT/api/sse | while IFS= read -r line; do if [ -n \"\$line\" ]; then echo \"\$(date +%s%N) \$line\"; fi; done"
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 3 ]
  [[ "${lines[0]}" == *"data: tick 1"* ]]
  first=${lines[0]%% *}
  last=${lines[2]%% *}
  # tick 1 and tick 3 are 600 ms apart at the source; buffering would make them ~0 apart.
  [ $(( (last - first) / 1000000 )) -ge 400 ]
}

@test "a second ship run on the same root is refused and leaves the running agent reachable" {
  run "$STARPHLEET" ship run --root "$SP_ROOT" --headquarters "file://$SP_REPOS/hq.git" \
    --port "$SP_PORT" --pulse 1 --bridge "$SP_BRIDGE" --subnet "$SP_SUBNET" --nat off
  [ "$status" -eq 1 ]
  [[ "$output" == *"another ship agent (pid "*") already runs with root $SP_ROOT"* ]]
  run "$STARPHLEET" status --root "$SP_ROOT"
  [ "$status" -eq 0 ]
  [ -S "$SP_ROOT/run/control.sock" ]
}

@test "status lists both services online with repo and commit" {
  run "$STARPHLEET" status --root "$SP_ROOT"
  [ "$status" -eq 0 ]
  [[ "$output" == *"/api"*"online"*"api.git@"* ]]
  run "$STARPHLEET" status --root "$SP_ROOT" --json
  [ "$status" -eq 0 ]
  commit=$(git -C "$SP_WORK/api" rev-parse HEAD)
  echo "$output" | node -e '
    const doc = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const api = doc.services.find((s) => s.path === "/api");
    if (!api || api.state !== "online" || api.servingCommit !== process.argv[1]) { console.error(JSON.stringify(api)); process.exit(1); }
  ' "$commit"
}

@test "the container's memory and pids limits are read back from its cgroup" {
  name=$("$STARPHLEET" status --root "$SP_ROOT" --json | node -e 'const d=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(d.services.find(s=>s.path==="/api").container)')
  [ -n "$name" ]
  if [ -f /sys/fs/cgroup/memory/cgroup.procs ]; then key=memory.limit_in_bytes; else key=memory.max; fi
  run lxc-cgroup -P "$SP_ROOT/containers" -n "$name" "$key"
  [ "$status" -eq 0 ]
  [ "$output" = "$((1024 * 1024 * 1024))" ]
  run lxc-cgroup -P "$SP_ROOT/containers" -n "$name" pids.max
  [ "$status" -eq 0 ]
  [ "$output" = "1024" ]
}

@test "a commit to the Node service is served after the next pulse; its unchanged dependencies are reused, not installed again" {
  sed -i 's/api v1/api v2/' "$SP_WORK/api/server.js"
  sha=$(sp_commit api "v2")
  run sp_wait_body /api "api v2" 90
  [ "$status" -eq 0 ]
  run sp_wait_status "/api +online +file://.*api.git@${sha:0:12}"
  [ "$status" -eq 0 ]
  log="$SP_ROOT/logs/build-$(basename "$(ls -d "$SP_ROOT"/cache/api-*)")-${sha:0:8}.log"
  grep -q -- "-----> Reusing the installed dependencies" "$log"
  run grep -c -- "npm ci" "$log"
  [ "$output" = 0 ]
}

@test "a force-pushed branch is followed: the rewritten commit is served" {
  sp_wait_body /api "api v2" 90 >/dev/null
  sed -i "s/'api v2'/'api v2 forced'/" "$SP_WORK/api/server.js"
  git -C "$SP_WORK/api" commit -qa --amend -m "v2, rewritten"
  git -C "$SP_WORK/api" push -qf "$SP_REPOS/api.git" main
  forced=$(git -C "$SP_WORK/api" rev-parse HEAD)
  run sp_wait_body /api "api v2 forced" 90
  [ "$status" -eq 0 ]
  run sp_wait_status "/api +online +file://.*api.git@${forced:0:12}"
  [ "$status" -eq 0 ]
}

@test "nudge polls at once; kill -9 of the agent and a restart, under load: no container restarted, nothing dropped" {
  run "$STARPHLEET" nudge --root "$SP_ROOT"
  [ "$status" -eq 0 ]
  # The serving containers: those of removed services (sqlite, flask) drain and may go meanwhile.
  names=$("$STARPHLEET" status --root "$SP_ROOT" --json | node -e 'const d=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(d.services.filter(s=>s.state==="online").map(s=>s.container).join(" "))')
  [ "$(echo "$names" | wc -w)" -eq 2 ]
  pids_before=$(for n in $names; do lxc-info -P "$SP_ROOT/containers" -n "$n" -p -H; done)
  LOAD_STOP_FILE="$SP_TMP/stop-kill" load_start 60
  sleep 1
  kill -9 "$(cat "$SP_TMP/agent.pid")"
  sleep 1
  # Serving does not depend on the agent.
  run curl -s "http://127.0.0.1:$SP_PORT/api/"
  [[ "$output" == *"api v"* ]]
  sp_start_ship
  run "$STARPHLEET" nudge --root "$SP_ROOT"
  [ "$status" -eq 0 ]
  run sp_wait_status "/api +online" 30
  [ "$status" -eq 0 ]
  sleep 1
  load_finish "$SP_TMP/stop-kill"
  pids_after=$(for n in $names; do lxc-info -P "$SP_ROOT/containers" -n "$n" -p -H; done)
  [ -n "$pids_before" ]
  [ "$pids_before" = "$pids_after" ]
  run curl -s "http://127.0.0.1:$SP_PORT/"
  [[ "$output" == *"Starphleet static site"* ]]
}

@test "a service that crashes after go-live is restarted under load: nothing dropped, status counts it" {
  sp_wait_body /api "api v" 120 >/dev/null
  builds=$(grep -c "Building api-" "$SP_TMP/agent.log")
  LOAD_STOP_FILE="$SP_TMP/stop-crash" load_start 60
  sleep 1
  run curl -s "http://127.0.0.1:$SP_PORT/api/crash"
  [[ "$output" == *"crashing"* ]]
  run sp_wait_status "/api +online .*restarts=1" 30
  [ "$status" -eq 0 ]
  run sp_wait_body /api "api v" 30
  [ "$status" -eq 0 ]
  sleep 1
  load_finish "$SP_TMP/stop-crash"
  # load_finish counted no failure: the requests that came while it was down
  # waited (in the hold, or in the kernel's connect retry when the restart is
  # quicker than that; private-root.bats pins the hold itself).
  grep -q "exited with status" "$SP_TMP/agent.log"
  # A restart is not a rebuild.
  [ "$(grep -c "Building api-" "$SP_TMP/agent.log")" -eq "$builds" ]
}

@test "a service that crashed while the agent was down: the next agent says how it ended and counts the restart" {
  sp_wait_body /api "api v" 120 >/dev/null
  before=$("$STARPHLEET" status --root "$SP_ROOT" --json | node -e 'const d=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(d.services.find(s=>s.path==="/api").restarts)')
  kill -9 "$(cat "$SP_TMP/agent.pid")"
  run curl -s "http://127.0.0.1:$SP_PORT/api/crash"
  [[ "$output" == *"crashing"* ]]
  sleep 1
  sp_start_ship
  run sp_wait_status "/api +online .*restarts=$((before + 1))" 30
  [ "$status" -eq 0 ]
  grep -qE "api-[^ ]+ exited with status [0-9]+; restarting it" "$SP_TMP/agent.log"
  run sp_wait_body /api "api v" 30
  [ "$status" -eq 0 ]
}

@test "after go-live the healthcheck keeps running; a service that stops answering is restarted, nothing dropped" {
  sp_orders api 3000 api "export HEALTHCHECK=/health HEALTHCHECK_PULSE=1 HEALTHCHECK_RETRY_COUNT=2"
  sp_commit hq "health pulse for api" >/dev/null
  run sp_wait_status "/api +online +[^ ]+ +[^ ]+( +(up|mem|health|starting|checking|draining)=[^ ]+)* *$" 60
  [ "$status" -eq 0 ]
  LOAD_STOP_FILE="$SP_TMP/stop-break" load_start 60
  sleep 1
  run curl -s "http://127.0.0.1:$SP_PORT/api/break"
  [[ "$output" == *"health now fails"* ]]
  run sp_wait_status "/api +online .*restarts=1" 30
  [ "$status" -eq 0 ]
  grep -q "stopped answering its healthcheck (http://.*/health answered 500: broken)" "$SP_TMP/agent.log"
  run sp_wait_body /api/health "^ok" 30
  [ "$status" -eq 0 ]
  load_finish "$SP_TMP/stop-break"
}

@test "an HQ commit that does not touch a service's orders rebuilds and restarts nothing" {
  # What the tests before it started (a rollover, a heal) is done first.
  "$STARPHLEET" nudge --wait 30 --root "$SP_ROOT"
  sp_wait_settled 60
  builds=$(grep -c 'Building ' "$SP_TMP/agent.log" || true)
  before=$("$STARPHLEET" status --root "$SP_ROOT" --json)
  echo "# notes" >"$SP_WORK/hq/README.md"
  hq=$(sp_commit hq "docs only")
  run sp_wait_status "@ ${hq:0:12}" 30
  [ "$status" -eq 0 ]
  "$STARPHLEET" nudge --wait 30 --root "$SP_ROOT"
  after=$("$STARPHLEET" status --root "$SP_ROOT" --json)
  # The HQ's services (a removed one, listed only while its last container drains, may go meanwhile).
  c() { echo "$1" | node -e 'const d=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(d.services.filter(s=>!(s.repo===null&&s.state==="draining")).map(s=>s.path+"="+s.container).join(" "))'; }
  [ "$(c "$before")" = "$(c "$after")" ] || { echo "before: $(c "$before")"; echo "after:  $(c "$after")"; tail -n 40 "$SP_TMP/agent.log"; false; }
  [ "$(grep -c 'Building ' "$SP_TMP/agent.log" || true)" -eq "$builds" ]
}

@test "a change of orders starts a new container from the same slug, without a rebuild" {
  builds_before=$(grep -c 'Building api-' "$SP_TMP/agent.log")
  old=$("$STARPHLEET" status --root "$SP_ROOT" --json | node -e 'const d=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(d.services.find(s=>s.path==="/api").container)')
  sp_orders api 3000 api "export GREETING=hi STARPHLEET_DRAINSTOP_WAIT=75"
  sp_commit hq "orders change" >/dev/null
  run sp_wait_status "/api +online .*api-[0-9a-f]{6}--[0-9a-f]{8}-[0-9]+" 60
  deadline=$((SECONDS + 60))
  while [ "$SECONDS" -lt "$deadline" ]; do
    new=$("$STARPHLEET" status --root "$SP_ROOT" --json | node -e 'const d=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(d.services.find(s=>s.path==="/api").container)')
    [ "$new" != "$old" ] && break
    sleep 0.3
  done
  [ "$new" != "$old" ]
  [ "$(grep -c 'Building api-' "$SP_TMP/agent.log")" -eq "$builds_before" ]
  # nginx's old workers keep long connections as long as the longest drain.
  grep -q "worker_shutdown_timeout 85s;" "$SP_ROOT/nginx/nginx.conf"
}

@test "a broken orders file is reported in status with its file and reason; the others keep serving" {
  mkdir -p "$SP_WORK/hq/broken"
  printf 'export PORT=3000\nif then\n' >"$SP_WORK/hq/broken/orders"
  sp_commit hq "broken service" >/dev/null
  run sp_wait_status "/broken +failed .*broken/orders: syntax error" 30
  [ "$status" -eq 0 ]
  run "$STARPHLEET" status --root "$SP_ROOT"
  [ "$status" -eq 1 ]
  run curl -s "http://127.0.0.1:$SP_PORT/"
  [[ "$output" == *"Starphleet static site"* ]]
  run curl -s "http://127.0.0.1:$SP_PORT/api/"
  [[ "$output" == *"api v2"* ]]
}

@test "a service removed from the HQ is unrouted and its container removed" {
  git -C "$SP_WORK/hq" rm -rq broken
  sp_commit hq "remove broken" >/dev/null
  run sp_wait_status "^/api " 30
  deadline=$((SECONDS + 30))
  while "$STARPHLEET" status --root "$SP_ROOT" | grep -q '^/broken'; do
    [ "$SECONDS" -lt "$deadline" ] || break
    sleep 0.3
  done
  run "$STARPHLEET" status --root "$SP_ROOT"
  [ "$status" -eq 0 ]
  [[ "$output" != *"/broken"* ]]
}

@test "a failing build leaves the serving version untouched and says why in status" {
  serving=$(curl -s "http://127.0.0.1:$SP_PORT/api/")
  cp "$SP_WORK/api/package.json" "$SP_TMP/package.json.good"
  echo '{ not json' >"$SP_WORK/api/package.json"
  sp_commit api "broken package.json" >/dev/null
  run sp_wait_status "/api +online .*error: build failed: .*package.json is not valid JSON" 90
  [ "$status" -eq 0 ]
  [ "$(curl -s "http://127.0.0.1:$SP_PORT/api/")" = "$serving" ]
  # Fixed: the next commit goes live and the error is gone.
  cp "$SP_TMP/package.json.good" "$SP_WORK/api/package.json"
  fixed=$(sp_commit api "package.json fixed")
  run sp_wait_status "/api +online +file://.*api.git@${fixed:0:12}" 120
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$(echo "$output" | grep '^/api ')" != *"error:"* ]]
}

@test "a failed build or start names its cause in status, not its last lines; the full build log is at the host path it gives" {
  serving=$(curl -s "http://127.0.0.1:$SP_PORT/api/")
  cp "$SP_WORK/api/package.json" "$SP_TMP/package.json.good"
  node -e 'const f = process.argv[1], p = require(f); p.scripts.build = "vite build"; require("fs").writeFileSync(f, JSON.stringify(p))' "$SP_WORK/api/package.json"
  sp_commit api "a build script whose tool is not installed" >/dev/null
  run sp_wait_status "/api +online .*error: build failed: sh: 1: vite: not found; full log: $SP_ROOT/logs/build-" 120
  echo "$output"
  [ "$status" -eq 0 ]
  log=$(echo "$output" | grep -o "full log: [^ ]*" | head -n 1)
  grep -q 'vite: not found' "${log#full log: }"
  # The whole build log is one command away.
  run "$STARPHLEET" logs /api --build --root "$SP_ROOT"
  [ "$status" -eq 0 ]
  [[ "$output" == *"-----> Running build"*"vite: not found"* ]]
  run "$STARPHLEET" logs /nothere --build --root "$SP_ROOT"
  [ "$status" -eq 1 ]
  [[ "$output" == *"logs --build /nothere: no service at /nothere on this ship"* ]]
  [ "$(curl -s "http://127.0.0.1:$SP_PORT/api/")" = "$serving" ]
  node -e 'const f = process.argv[1], p = require(f); delete p.scripts.build; p.scripts.start = "node nothere.js"; require("fs").writeFileSync(f, JSON.stringify(p))' "$SP_WORK/api/package.json"
  sp_commit api "a start script that runs a file not there" >/dev/null
  run sp_wait_status "/api +online .*error: the service exited with status 1 before it was healthy: Error: Cannot find module '/app/nothere.js'" 120
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(curl -s "http://127.0.0.1:$SP_PORT/api/")" = "$serving" ]
  cp "$SP_TMP/package.json.good" "$SP_WORK/api/package.json"
  fixed=$(sp_commit api "package.json as it was")
  run sp_wait_status "/api +online +file://.*api.git@${fixed:0:12}" 120
  [ "$status" -eq 0 ]
}

@test "a monorepo folder (APP_BASE) and a node-built front end served by the static pack (.buildpacks) go live" {
  sp_repo mono >/dev/null
  mkdir -p "$SP_WORK/mono/apps/web" "$SP_WORK/mono/apps/front"
  cp -a "$REPO_ROOT/test/fixtures/services/py-phleet/." "$SP_WORK/mono/apps/web/"
  sed -i 's/phleet v1/mono web v1/' "$SP_WORK/mono/apps/web/app.py"
  echo '{"name":"front","version":"1.0.0","scripts":{"build":"mkdir -p dist && echo front built by node >dist/index.html"}}' >"$SP_WORK/mono/apps/front/package.json"
  printf 'nodejs\nstatic\n' >"$SP_WORK/mono/apps/front/.buildpacks"
  echo "the repo's root" >"$SP_WORK/mono/README.md"
  sp_commit mono "two apps in one repo" >/dev/null
  sp_orders mono-web 8000 mono "export APP_BASE=apps/web"
  sp_orders mono-front 8080 mono "export APP_BASE=apps/front"
  sp_commit hq "two services from one monorepo" >/dev/null
  run sp_wait_body /mono-web/ "^mono web v1 " 120
  [ "$status" -eq 0 ]
  run sp_wait_body /mono-front/ "^front built by node$" 120
  [ "$status" -eq 0 ]
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SP_PORT/mono-front/package.json")" = 404 ]
  grep -h '"buildpack"' "$SP_ROOT"/slugs/mono-front-*/*/meta.json | grep -q 'nodejs+static'
  # One commit, two folders: two slugs.
  [ "$(ls -d "$SP_ROOT"/slugs/mono-*/* | wc -l)" -eq 2 ]
  rm -rf "$SP_WORK/hq/mono-web" "$SP_WORK/hq/mono-front"
  sp_commit hq "no monorepo services" >/dev/null
}

@test "a version that crashes at start, or fails its healthcheck, never takes over" {
  serving=$(curl -s "http://127.0.0.1:$SP_PORT/api/")
  sp_orders api 3000 api "export GREETING=hi; export HEALTHCHECK_TIMEOUT=5"
  sp_commit hq "shorter healthcheck budget" >/dev/null
  sed -i '1i process.exit(3);' "$SP_WORK/api/server.js"
  sp_commit api "crashes at start" >/dev/null
  run sp_wait_status "/api +online .*error: the service exited with status 3 before it was healthy" 120
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(curl -s "http://127.0.0.1:$SP_PORT/api/")" = "$serving" ]

  sed -i '1d' "$SP_WORK/api/server.js"
  echo /missing >"$SP_WORK/api/healthcheck"
  sp_commit api "healthcheck that answers 404" >/dev/null
  run sp_wait_status "/api +online .*error: healthcheck failed after 5 s: http://10\\.213\\.[0-9.]+:3000/missing answered 404: not here" 120
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(curl -s "http://127.0.0.1:$SP_PORT/api/")" = "$serving" ]

  # An app that listens on 127.0.0.1 only is refused; the error says so.
  rm "$SP_WORK/api/healthcheck"
  sed -i 's/server.listen(Number(process.env.PORT), /server.listen(Number(process.env.PORT), "127.0.0.1", /' "$SP_WORK/api/server.js"
  sp_commit api "listens on localhost only" >/dev/null
  run sp_wait_status "/api +online .*error: healthcheck failed after 5 s: .*ECONNREFUSED \(the app listens on 127\.0\.0\.1:3000 only; it must listen on all interfaces" 120
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(curl -s "http://127.0.0.1:$SP_PORT/api/")" = "$serving" ]
  # The failed container is kept, stopped, for inspection.
  failed=$(node -e 'const s=require(process.argv[1]);console.log(Object.values(s.containers).filter(c=>c.state==="failed").map(c=>c.name).join(" "))' "$SP_ROOT/state.json")
  [ -n "$failed" ]
  for name in $failed; do
    [ -f "$SP_ROOT/containers/$name/config" ]
    [ "$(lxc-info -P "$SP_ROOT/containers" -n "$name" -s -H)" = "STOPPED" ]
  done
  # And is not retried in a loop: no new container while nothing changes.
  count=$(grep -c "started api-" "$SP_TMP/agent.log")
  sleep 3
  [ "$(grep -c "started api-" "$SP_TMP/agent.log")" -eq "$count" ]
}

@test "an unreachable HQ and service repo: the ship keeps serving, retries with backoff, says so in status, and recovers" {
  sp_wait_body /api "api v" 120 >/dev/null
  sp_wait_status "/api +online" 60 >/dev/null
  mv "$SP_REPOS/hq.git" "$SP_REPOS/hq.git.away"
  mv "$SP_REPOS/api.git" "$SP_REPOS/api.git.away"
  run sp_wait_status "ERROR headquarters .*\(3 failed tries since" 30
  [ "$status" -eq 0 ]
  run sp_wait_status "/api +online .*\([0-9]+ failed tr(y|ies) since .*next try at" 30
  [ "$status" -eq 0 ]
  run curl -s "http://127.0.0.1:$SP_PORT/api/"
  [[ "$output" == *"api v"* ]]
  run curl -s "http://127.0.0.1:$SP_PORT/"
  [[ "$output" == *"Starphleet static site"* ]]
  # Backoff: 6 s after the third failure a pulse-by-pulse retry (1 s) would
  # have tried 6 more times; doubling waits (4 s, then 8 s) try once more.
  sleep 6
  run "$STARPHLEET" status --root "$SP_ROOT" --json
  node -e '
    const d = JSON.parse(process.argv[1]);
    const m = /^(\d+) failed tries since \S+, next try at (\S+)$/.exec(d.ship.hqRetry);
    if (!m) { console.error("no hqRetry: " + d.ship.hqRetry); process.exit(1); }
    if (Number(m[1]) > 5) { console.error("retried without backoff: " + d.ship.hqRetry); process.exit(1); }
  ' "$output"
  mv "$SP_REPOS/hq.git.away" "$SP_REPOS/hq.git"
  mv "$SP_REPOS/api.git.away" "$SP_REPOS/api.git"
  run "$STARPHLEET" nudge --wait 30 --root "$SP_ROOT"
  [ "$status" -eq 0 ]
  run "$STARPHLEET" status --root "$SP_ROOT" --json
  node -e '
    const d = JSON.parse(process.argv[1]);
    const api = d.services.find((s) => s.path === "/api");
    if (d.ship.hqError || d.ship.hqRetry || api.retry) { console.error("still failing: " + process.argv[1]); process.exit(1); }
  ' "$output"
}

@test "orders naming a branch that does not exist: the fixed ref is fetched at the next HQ read, not after the backoff" {
  mkdir -p "$SP_WORK/hq/pinned"
  printf 'export PORT=3000\nautodeploy file://%s/api.git#nosuch\n' "$SP_REPOS" >"$SP_WORK/hq/pinned/orders"
  sp_commit hq "pinned to a missing branch" >/dev/null
  run sp_wait_status "/pinned .*no branch, tag or commit 'nosuch'.*\([5-9] failed tries since" 60
  [ "$status" -eq 0 ]
  next=$("$STARPHLEET" status --root "$SP_ROOT" --json | node -e 'const d=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(/next try at (\S+)/.exec(d.services.find(s=>s.path==="/pinned").retry)[1])')
  # Orders that do not read fetch nothing: status promises no next try.
  printf 'export PORT=3000\nif then\n' >"$SP_WORK/hq/pinned/orders"
  sp_commit hq "pinned: broken orders" >/dev/null
  run sp_wait_status "^/pinned .*pinned/orders: syntax error" 30
  [ "$status" -eq 0 ]
  [[ "$(echo "$output" | grep '^/pinned')" != *"next try at"* ]]
  printf 'export PORT=3000\nautodeploy file://%s/api.git#main\n' "$SP_REPOS" >"$SP_WORK/hq/pinned/orders"
  sp_commit hq "pinned: the right branch" >/dev/null
  run sp_wait_status "^/pinned +(building|starting|checking|online) .*api.git#main@" 30
  [ "$status" -eq 0 ]
  node -e 'if (Date.now() >= Date.parse(process.argv[1])) { console.error("fetched only when the backoff of the old ref ended: " + process.argv[1]); process.exit(1); }' "$next"
  git -C "$SP_WORK/hq" rm -rq pinned
  sp_commit hq "remove pinned" >/dev/null
  run sp_wait_status "^/api " 30
}

@test "ship down stops nginx and leaves no container behind" {
  run sp_containers
  [ -n "$output" ]
  run "$STARPHLEET" ship down --root "$SP_ROOT"
  [ "$status" -eq 0 ]
  run sp_containers
  [ -z "$output" ]
  run curl -s --max-time 2 "http://127.0.0.1:$SP_PORT/"
  [ "$status" -ne 0 ]
  run ip link show "$SP_BRIDGE"
  [ "$status" -ne 0 ]
  # No firewall rule is left for its builds either.
  run bash -c "{ iptables -S; iptables -t nat -S; } | grep -F 'starphleet-build:$SP_BRIDGE'"
  [ "$status" -ne 0 ]
}
