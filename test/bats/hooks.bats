#!/usr/bin/env bats
# The git push hook and notifications on one real ship with a 60 s pulse: a signed hook
# (GitHub, Gitea, GitLab style) makes a push live within seconds; a bad one
# is refused and changes nothing; the secret is a ship setting (no service
# sees it, nothing restarts, never in plaintext on the ship's disk). Then
# notification URLs (sealed the same way) get a deploy live, a deploy failed
# with its cause and a crash loop, retried when the receiver answers 500.

load helpers/ship

HOOK_SECRET_VALUE=4f1c0e9a7b2d48a1b6e3c5d7f9a0b1c2

setup_file() {
  sp_init_ship
  export STARPHLEET_HOME="$SP_TMP/home"
  sp_repo app "$REPO_ROOT/test/fixtures/services/env-echo" >/dev/null
  sp_hq_init
  sp_orders app 3000 app
  sp_commit hq "env-echo at /app" >/dev/null
  sp_start_ship --pulse 60
}

teardown_file() {
  if [ -f "$SP_TMP/receiver.pid" ]; then kill "$(cat "$SP_TMP/receiver.pid")" 2>/dev/null || true; fi
  sp_teardown_ship
}

# hook BODY_FILE HEADER...: POST it to the ship's hook; prints the status code.
hook() {
  local body=$1
  shift
  local args=()
  for h in "$@"; do args+=(-H "$h"); done
  curl -s -o "$SP_TMP/hook.out" -w '%{http_code}' -X POST --data-binary "@$body" -H 'Content-Type: application/json' "${args[@]}" \
    "http://127.0.0.1:$SP_PORT/starphleet/hooks/git"
}

# sig BODY_FILE [SECRET]: hex HMAC-SHA256 of the file.
sig() {
  openssl dgst -sha256 -hmac "${2:-$HOOK_SECRET_VALUE}" -r "$1" | cut -d' ' -f1
}

serving() {
  "$STARPHLEET" status --root "$SP_ROOT" --json | node -e '
    const d = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const s = d.services.find((x) => x.path === "/app");
    console.log(`${s.servingCommit} ${s.container}`);'
}

# push_commit MESSAGE: a new commit of the app; prints its sha.
push_commit() {
  echo "// $1" >>"$SP_WORK/app/server.js"
  sp_commit app "$1"
}

@test "without a hook secret the hook answers 404; webhook secret sets it without restarting anything" {
  run sp_wait_status "/app +online" 120
  [ "$status" -eq 0 ]
  echo '{}' >"$SP_TMP/empty.json"
  run hook "$SP_TMP/empty.json" "X-Hub-Signature-256: sha256=$(sig "$SP_TMP/empty.json")"
  [ "$output" = 404 ]
  "$STARPHLEET" init test --headquarters "file://$SP_REPOS/hq.git" --root "$SP_ROOT" >/dev/null
  before=$(serving)
  run bash -c 'echo short | "$0" webhook secret -' "$STARPHLEET"
  [ "$status" -eq 2 ]
  [[ "$output" == *"at least 16 bytes"* ]]
  run "$STARPHLEET" webhook secret "$HOOK_SECRET_VALUE"
  [ "$status" -eq 2 ]
  run "$STARPHLEET" set STARPHLEET_SHIP_HOOK_SECRET x
  [ "$status" -eq 2 ]
  [[ "$output" == *"ship settings"* ]]
  run bash -c 'printf "%s\n" "$1" | "$0" webhook secret -' "$STARPHLEET" "$HOOK_SECRET_VALUE"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"a ship setting: no service sees it, nothing restarts"* ]]
  sleep 3
  [ "$(serving)" = "$before" ]
  # No service sees it, and it is nowhere in plaintext on the ship or in its log.
  run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SP_PORT/app/env/STARPHLEET_SHIP_HOOK_SECRET"
  [ "$output" = 404 ]
  run grep -rlF "$HOOK_SECRET_VALUE" "$SP_ROOT" "$SP_TMP/agent.log"
  [ "$status" -ne 0 ]
}

@test "a bad or missing signature is 401 and polls nothing; a GitHub-signed push goes live within seconds (pulse 60 s)" {
  sha=$(push_commit "pushed, hook to come")
  echo "{\"ref\":\"refs/heads/main\",\"after\":\"$sha\"}" >"$SP_TMP/push.json"
  run hook "$SP_TMP/push.json" "X-Hub-Signature-256: sha256=$(sig "$SP_TMP/push.json" wrong-secret-wrong-secret)"
  [ "$output" = 401 ]
  grep -q "does not match" "$SP_TMP/hook.out"
  run hook "$SP_TMP/push.json"
  [ "$output" = 401 ]
  sleep 4
  [[ "$(serving)" != "$sha "* ]]
  asked=$SECONDS
  run hook "$SP_TMP/push.json" "X-GitHub-Event: push" "X-Hub-Signature-256: sha256=$(sig "$SP_TMP/push.json")"
  [ "$output" = 202 ]
  run sp_wait_status "/app +online +file://.*app.git@${sha:0:12}" 30
  [ "$status" -eq 0 ]
  echo "# live $((SECONDS - asked)) s after the hook" >&3
}

@test "Gitea and GitLab hooks check out too" {
  sha=$(push_commit "gitea push")
  echo '{"ref":"refs/heads/main"}' >"$SP_TMP/gitea.json"
  run hook "$SP_TMP/gitea.json" "X-Gitea-Signature: $(sig "$SP_TMP/gitea.json")"
  [ "$output" = 202 ]
  run sp_wait_status "/app +online +file://.*app.git@${sha:0:12}" 30
  [ "$status" -eq 0 ]
  sha=$(push_commit "gitlab push")
  run hook "$SP_TMP/gitea.json" "X-Gitlab-Token: $HOOK_SECRET_VALUE"
  [ "$output" = 202 ]
  run sp_wait_status "/app +online +file://.*app.git@${sha:0:12}" 30
  [ "$status" -eq 0 ]
  run hook "$SP_TMP/gitea.json" "X-Gitlab-Token: ${HOOK_SECRET_VALUE}0"
  [ "$output" = 401 ]
}

@test "after a flood of bad hooks they get 429, and a good one is still accepted" {
  echo '{"zen":"flood"}' >"$SP_TMP/flood.json"
  codes=""
  for _ in $(seq 1 35); do
    codes+="$(hook "$SP_TMP/flood.json" "X-Hub-Signature-256: sha256=$(sig "$SP_TMP/flood.json" not-the-secret-at-all)") "
  done
  [[ "$codes" == *"401 "* && "$codes" == *"429 "* ]]
  run hook "$SP_TMP/flood.json" "X-Hub-Signature-256: sha256=$(sig "$SP_TMP/flood.json")"
  [ "$output" = 202 ]
  run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SP_PORT/starphleet/hooks/git"
  [ "$output" = 405 ]
}

# --- notifications -----------------------------------------------------------

# events NAME: the bodies of the events of that name the receiver got (one JSON per line).
events() {
  node -e '
    const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").filter(Boolean);
    for (const l of lines) { const r = JSON.parse(l); const b = JSON.parse(r.body); if (b.event === process.argv[2]) console.log(JSON.stringify({ path: r.path, ...b })); }
  ' "$SP_TMP/received" "$1" 2>/dev/null || true
}

wait_event() {
  local deadline=$((SECONDS + ${3:-30}))
  while [ "$SECONDS" -lt "$deadline" ]; do
    [ "$(events "$1" | grep -c "$2" || true)" -gt 0 ] && return 0
    sleep 0.3
  done
  echo "no $1 event matching $2; got:" >&2
  cat "$SP_TMP/received" >&2 || true
  return 1
}

@test "notify add: URLs kept sealed and shown redacted; a deploy goes live and is told to both" {
  : >"$SP_TMP/received"
  node "$REPO_ROOT/test/bats/helpers/receiver.mjs" "$SP_TMP/received" "$SP_TMP/receiver.port" &
  echo $! >"$SP_TMP/receiver.pid"
  for _ in $(seq 1 50); do [ -s "$SP_TMP/receiver.port" ] && break; sleep 0.1; done
  port=$(cat "$SP_TMP/receiver.port")
  before=$(serving)
  run "$STARPHLEET" notify add "http://127.0.0.1:$port/hook/T0KEN-one"
  [ "$status" -eq 0 ]
  run "$STARPHLEET" notify add "http://127.0.0.1:$port/flaky/T0KEN-two"
  [ "$status" -eq 0 ]
  run "$STARPHLEET" notify add "ftp://127.0.0.1/x"
  [ "$status" -eq 2 ]
  run "$STARPHLEET" notify list
  echo "$output"
  [ "${#lines[@]}" -eq 2 ]
  [[ "$output" != *T0KEN* ]]
  [[ "$output" == *"http://127.0.0.1:$port/…"* ]]
  [ "$(serving)" = "$before" ]
  sha=$(push_commit "told when live")
  "$STARPHLEET" nudge --root "$SP_ROOT" >/dev/null
  wait_event deploy.live "\"commit\":\"$sha\"" 60
  # The flaky one answered 500 once and got it again 2 s later.
  for _ in $(seq 1 40); do
    [ "$(events deploy.live | grep "/flaky/T0KEN-two" | grep -c "$sha" || true)" -ge 2 ] && break
    sleep 0.25
  done
  [ "$(events deploy.live | grep "/flaky/T0KEN-two" | grep -c "$sha")" -eq 2 ]
  # Slack's text and Discord's content.
  events deploy.live | grep "$sha" | head -n 1 | node -e '
    const e = JSON.parse(require("fs").readFileSync(0, "utf8"));
    if (e.ship === undefined || e.service !== "/app" || !e.text.includes("/app") || e.text !== e.content) throw new Error(JSON.stringify(e));'
  # The URLs (their tokens) are nowhere in plaintext on the ship or in its log.
  run grep -rlF "T0KEN" "$SP_ROOT" "$SP_TMP/agent.log"
  [ "$status" -ne 0 ]
}

@test "a failed deploy is told with its cause line; a crash loop is told once" {
  sha=$(push_commit "broken start")
  sed -i '1i this is not javascript' "$SP_WORK/app/server.js"
  sha=$(sp_commit app "a syntax error")
  "$STARPHLEET" nudge --root "$SP_ROOT" >/dev/null
  wait_event deploy.failed "\"commit\":\"$sha\".*SyntaxError" 90
  for _ in 1 2 3; do
    curl -s -o /dev/null --max-time 30 "http://127.0.0.1:$SP_PORT/app/crash" || true
    sleep 1.5
    run sp_wait_status "/app +online" 30
  done
  wait_event crash.loop '"service":"/app"' 60
  [ "$(events crash.loop | grep -c '"path":"/hook/T0KEN-one"')" -eq 1 ]
  kill "$(cat "$SP_TMP/receiver.pid")" 2>/dev/null || true
}
