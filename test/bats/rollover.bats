#!/usr/bin/env bats
# Rolling updates that drop nothing: a keep-alive request loop runs through
# nginx while new versions roll over, and must see zero non-200 answers,
# zero errors and zero retries: a rollover switches nginx's table of
# containers in place (no reload), so no keep-alive connection is ever closed
# under the client. (The loop would retry a GET once on a reused connection
# closed under it, as browsers do, and count it as `retried`; only a change
# of the routing table, such as a service removed, reloads nginx.)
# A long request and an open SSE stream started
# before a rollover complete. A rollback to a pinned sha reuses its slug.

load helpers/ship
load helpers/load

setup_file() {
  sp_init_ship
  sp_repo api "$REPO_ROOT/test/fixtures/services/node-api" >/dev/null
  git -C "$SP_WORK/api" rev-parse HEAD >"$SP_TMP/v1.sha"
  sp_hq_init
  sp_orders api 3000 api "export STARPHLEET_DRAINSTOP_WAIT=8"
  sp_commit hq "api with an 8 s drain" >/dev/null
  sp_start_ship
  sp_wait_body /api "api v1" 120 >/dev/null
}

teardown_file() {
  sp_teardown_ship
}

@test "three back-to-back rollovers under keep-alive load: zero non-200, zero errors, not one connection closed under the client (no nginx reload)" {
  generation() { curl -s --unix-socket "$SP_ROOT/run/nginx-control/control.sock" http://nginx/generation; }
  # nginx's control socket (it switches containers) is root's only: its folder is 0700.
  [ "$(stat -c %a "$SP_ROOT/run/nginx-control")" = 700 ]
  before=$(generation)
  LOAD_STOP_FILE="$SP_TMP/stop-1" load_start 120
  sleep 1
  for v in 2 3 4; do
    sed -i "s/api v[0-9]*/api v$v/" "$SP_WORK/api/server.js"
    sp_commit api "v$v" >/dev/null
    sp_wait_body /api "api v$v" 90 >/dev/null
    # The answer names the new container (the one nginx's table points at).
    [ "$(curl -s -D - -o /dev/null "http://127.0.0.1:$SP_PORT/api/" | tr -d '\r' | sed -n 's/^X-Starphleet-Container: //p')" = "$("$STARPHLEET" status --json --root "$SP_ROOT" | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).services.find((s) => s.path === "/api").container)')" ]
  done
  load_finish_no_resets "$SP_TMP/stop-1"
  # Three rollovers, not one nginx reload.
  echo "# nginx generation $before before, $(generation) after" >&3
  [ -n "$before" ] && [ "$(generation)" = "$before" ]
}

@test "a rollover under load, through the drain and the old container's removal: nothing dropped" {
  LOAD_STOP_FILE="$SP_TMP/stop-2" load_start 90
  sleep 1
  sed -i "s/api v[0-9]*/api v5/" "$SP_WORK/api/server.js"
  sp_commit api "v5" >/dev/null
  sp_wait_body /api "api v5" 90 >/dev/null
  # Keep loading through the drain and the old container's removal.
  sleep 10
  load_finish_no_resets "$SP_TMP/stop-2"
}

@test "a long request and an open SSE stream started before a rollover both complete, under load" {
  LOAD_STOP_FILE="$SP_TMP/stop-long" load_start 90
  curl -s --max-time 30 "http://127.0.0.1:$SP_PORT/api/slow" >"$SP_TMP/slow.out" &
  slow=$!
  curl -sN --max-time 30 "http://127.0.0.1:$SP_PORT/api/sse-long" >"$SP_TMP/sse.out" &
  sse=$!
  sleep 0.5
  sed -i "s/api v[0-9]*/api v6/" "$SP_WORK/api/server.js"
  sp_commit api "v6" >/dev/null
  sp_wait_body /api "api v6" 90 >/dev/null
  wait "$slow"
  wait "$sse" || true
  grep -q "slow done after 5 s from api v5" "$SP_TMP/slow.out"
  [ "$(grep -c '^data: ' "$SP_TMP/sse.out")" -eq 10 ]
  grep -q "data: tick 10" "$SP_TMP/sse.out"
  load_finish_no_resets "$SP_TMP/stop-long"
}

@test "rollback to a pinned sha reuses the built slug under load: no build, nothing dropped" {
  v1=$(cat "$SP_TMP/v1.sha")
  LOAD_STOP_FILE="$SP_TMP/stop-rollback" load_start 90
  builds=$(grep -c "Building api-" "$SP_TMP/agent.log")
  printf 'export PORT=3000\nexport STARPHLEET_DRAINSTOP_WAIT=8\nautodeploy file://%s/api.git#%s\n' "$SP_REPOS" "$v1" >"$SP_WORK/hq/api/orders"
  sp_commit hq "pin api to v1" >/dev/null
  "$STARPHLEET" nudge --root "$SP_ROOT" >/dev/null
  run sp_wait_body /api "api v1" 60
  [ "$status" -eq 0 ]
  [ "$(grep -c "Building api-" "$SP_TMP/agent.log")" -eq "$builds" ]
  # (How fast: bench/push-to-live prints the built-slug switch time.)
  run sp_wait_status "/api +online +file://.*api.git#$v1@${v1:0:12}" 10
  [ "$status" -eq 0 ]
  load_finish_no_resets "$SP_TMP/stop-rollback"
}

@test "a failing build, a crash at start and a failing healthcheck under load: nothing dropped" {
  printf 'export PORT=3000\nexport STARPHLEET_DRAINSTOP_WAIT=8 HEALTHCHECK_TIMEOUT=4\nautodeploy file://%s/api.git\n' "$SP_REPOS" >"$SP_WORK/hq/api/orders"
  sp_commit hq "unpin api, short healthcheck budget" >/dev/null
  run sp_wait_body /api "api v6" 60
  [ "$status" -eq 0 ]
  LOAD_STOP_FILE="$SP_TMP/stop-faults" load_start 180
  sleep 1

  cp "$SP_WORK/api/package.json" "$SP_TMP/package.json.good"
  echo '{ not json' >"$SP_WORK/api/package.json"
  sp_commit api "broken package.json" >/dev/null
  run sp_wait_status "/api +online .*error: build failed" 90
  [ "$status" -eq 0 ]

  cp "$SP_TMP/package.json.good" "$SP_WORK/api/package.json"
  sed -i '1i process.exit(3);' "$SP_WORK/api/server.js"
  sp_commit api "crashes at start" >/dev/null
  run sp_wait_status "/api +online .*error: the service exited with status 3" 90
  [ "$status" -eq 0 ]

  sed -i '1d' "$SP_WORK/api/server.js"
  echo /missing >"$SP_WORK/api/healthcheck"
  sp_commit api "healthcheck answers 404" >/dev/null
  run sp_wait_status "/api +online .*error: healthcheck failed after 4 s" 90
  [ "$status" -eq 0 ]

  load_finish_no_resets "$SP_TMP/stop-faults"
  run curl -s "http://127.0.0.1:$SP_PORT/api/"
  [[ "$output" == *"api v6"* ]]
}

@test "reaper: removing api-v2 from the HQ under load on /api removes only api-v2's containers; /api keeps its container and drops nothing" {
  v1=$(cat "$SP_TMP/v1.sha")
  mkdir -p "$SP_WORK/hq/api-v2"
  printf 'export PORT=3000\nexport STARPHLEET_DRAINSTOP_WAIT=2\nautodeploy file://%s/api.git#%s\n' "$SP_REPOS" "$v1" >"$SP_WORK/hq/api-v2/orders"
  sp_commit hq "api-v2 beside api" >/dev/null
  run sp_wait_body /api-v2 "api v1" 120
  [ "$status" -eq 0 ]
  api_container=$("$STARPHLEET" status --root "$SP_ROOT" --json | node -e 'const d=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(d.services.find(s=>s.path==="/api").container)')
  [[ "$api_container" == api-* ]]
  api_pid=$(lxc-info -P "$SP_ROOT/containers" -n "$api_container" -p -H)
  v2_containers=$(sp_containers | grep '^api-v2-')
  [ -n "$v2_containers" ]

  LOAD_STOP_FILE="$SP_TMP/stop-reap" load_start 90
  sleep 1
  git -C "$SP_WORK/hq" rm -rq api-v2
  sp_commit hq "remove api-v2" >/dev/null
  deadline=$((SECONDS + 60))
  while sp_containers | grep -q '^api-v2-'; do
    [ "$SECONDS" -lt "$deadline" ] || break
    sleep 0.3
  done
  load_finish "$SP_TMP/stop-reap"

  # api-v2 is gone: unrouted, no container, not in status.
  [ -z "$(sp_containers | grep '^api-v2-' || true)" ]
  run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SP_PORT/api-v2/"
  [ "$output" = "404" ]
  run "$STARPHLEET" status --root "$SP_ROOT"
  [[ "$output" != *"/api-v2"* ]]
  # api is untouched: the same container, the same process.
  sp_containers | grep -qx "$api_container"
  [ "$(lxc-info -P "$SP_ROOT/containers" -n "$api_container" -p -H)" = "$api_pid" ]
  run curl -s "http://127.0.0.1:$SP_PORT/api/"
  [[ "$output" == *"api v"* ]]
  # api-v2's slugs, build cache and repo cache go after its last container
  # (the next poll); api keeps its own.
  v2_id=${v2_containers%%--*}
  api_id=${api_container%%--*}
  deadline=$((SECONDS + 20))
  while [ -e "$SP_ROOT/slugs/$v2_id" ] || [ -e "$SP_ROOT/repos/$v2_id.git" ]; do
    [ "$SECONDS" -lt "$deadline" ] || break
    sleep 0.3
  done
  [ ! -e "$SP_ROOT/slugs/$v2_id" ]
  [ ! -e "$SP_ROOT/repos/$v2_id.git" ]
  [ ! -e "$SP_ROOT/cache/$v2_id" ]
  [ -d "$SP_ROOT/slugs/$api_id" ]
  [ -d "$SP_ROOT/repos/$api_id.git" ]
}

@test "reaper, the other way: removing api under load on /api-v2 leaves api-v2's container and process untouched" {
  v1=$(cat "$SP_TMP/v1.sha")
  mkdir -p "$SP_WORK/hq/api-v2"
  printf 'export PORT=3000\nexport STARPHLEET_DRAINSTOP_WAIT=2\nautodeploy file://%s/api.git#%s\n' "$SP_REPOS" "$v1" >"$SP_WORK/hq/api-v2/orders"
  # api drains quickly too, so its removal is over within the test.
  printf 'export PORT=3000\nexport STARPHLEET_DRAINSTOP_WAIT=2\nautodeploy file://%s/api.git\n' "$SP_REPOS" >"$SP_WORK/hq/api/orders"
  sp_commit hq "api-v2 back; api drains in 2 s" >/dev/null
  run sp_wait_body /api-v2 "api v1" 120
  [ "$status" -eq 0 ]
  run sp_wait_status "/api +online .*api.git@" 60
  v2_container=$("$STARPHLEET" status --root "$SP_ROOT" --json | node -e 'const d=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(d.services.find(s=>s.path==="/api-v2").container)')
  [[ "$v2_container" == api-v2-* ]]
  v2_pid=$(lxc-info -P "$SP_ROOT/containers" -n "$v2_container" -p -H)

  LOAD_STOP_FILE="$SP_TMP/stop-reap2" load_start 90 /api-v2/
  sleep 1
  git -C "$SP_WORK/hq" rm -rq api
  sp_commit hq "remove api" >/dev/null
  deadline=$((SECONDS + 60))
  while sp_containers | grep -qv '^api-v2-'; do
    [ "$SECONDS" -lt "$deadline" ] || break
    sleep 0.3
  done
  load_finish "$SP_TMP/stop-reap2"

  [ -z "$(sp_containers | grep -v '^api-v2-' || true)" ]
  run "$STARPHLEET" status --root "$SP_ROOT"
  [[ "$output" != *"/api "* ]]
  sp_containers | grep -qx "$v2_container"
  [ "$(lxc-info -P "$SP_ROOT/containers" -n "$v2_container" -p -H)" = "$v2_pid" ]
}
