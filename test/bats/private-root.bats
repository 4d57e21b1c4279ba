#!/usr/bin/env bats
# A ship root inside a private folder (mode 0700, as mktemp -d or /root make
# them): the ship reaches it through a bind mount under /run/starphleet/roots,
# so nginx's unprivileged workers reach the dashboard's and the holds' sockets
# and unprivileged containers start. ship down removes the mount.

load helpers/ship

setup_file() {
  sp_init_ship
  mkdir -m 0700 "$SP_TMP/private"
  SP_ROOT="$SP_TMP/private/root"
  export SP_ROOT
  sp_repo api "$REPO_ROOT/test/fixtures/services/node-api" >/dev/null
  sp_hq_init
  sp_orders api 3000 api
  sp_commit hq "node at /api" >/dev/null
  sp_start_ship
}

teardown_file() {
  sp_teardown_ship
}

# alias_of_root: this ship's bind mount, if mounted (ROOTS/<first 16 hex of sha256 of the root's real path>).
alias_of_root() {
  local alias
  alias="/run/starphleet/roots/$(printf '%s' "$(realpath "$SP_ROOT")" | sha256sum | cut -c1-16)"
  findmnt -rn -o TARGET | grep -x "$alias" || true
}

@test "a root in a 0700 folder: the service goes live, the status names the root as given" {
  [ "$(stat -c %a "$SP_TMP/private")" = 700 ]
  run sp_wait_body /api/ "api v1" 120
  [ "$status" -eq 0 ]
  run "$STARPHLEET" status --root "$SP_ROOT"
  [[ "$output" == "ship $SP_ROOT "* ]]
  grep -q "$SP_ROOT sits under a private folder: the ship reaches it as /run/starphleet/roots/" "$SP_TMP/agent.log"
}

@test "the dashboard answers through nginx (its socket is reachable by the workers)" {
  token=$(cat "$SP_ROOT/dashboard.token")
  run curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "http://127.0.0.1:$SP_PORT/starphleet/api/status"
  [ "$output" = 200 ]
}

@test "a request while the app restarts after a crash waits in the hold and is answered, not a 502" {
  run curl -s --max-time 5 "http://127.0.0.1:$SP_PORT/api/crash"
  [[ "$output" == *crashing* ]]
  sleep 0.3
  run curl -s --max-time 60 -o "$SP_TMP/held.body" -w '%{http_code}' "http://127.0.0.1:$SP_PORT/api/"
  [ "$output" = 200 ]
  grep -q "api v1" "$SP_TMP/held.body"
  run sp_wait_status "/api +online .*restarts=1" 30
  [ "$status" -eq 0 ]
}

@test "ship down removes the bind mount and leaves the root's files in place" {
  [ -n "$(alias_of_root)" ]
  run "$STARPHLEET" ship down --root "$SP_ROOT"
  [ "$status" -eq 0 ]
  [ -z "$(alias_of_root)" ]
  [ -f "$SP_ROOT/dashboard.token" ]
  # Its folder under /run/starphleet/roots went with it.
  [ ! -e "/run/starphleet/roots/$(printf '%s' "$(realpath "$SP_ROOT")" | sha256sum | cut -c1-16)" ]
}
