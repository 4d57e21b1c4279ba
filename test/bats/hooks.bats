#!/usr/bin/env bats
# The git push hook on one real ship with a 60 s pulse: a signed hook
# (GitHub, Gitea, GitLab style) makes a push live within seconds; a bad one
# is refused and changes nothing; the secret is a ship setting (no service
# sees it, nothing restarts, never in plaintext on the ship's disk).

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
