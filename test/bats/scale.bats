#!/usr/bin/env bats
# Thirty services on one ship (one small Node repo, thirty HQ paths): all go
# live from a cold start, the agent is killed (-9) and started again with all
# of them serving, and every one still answers through nginx, from the same
# container, none restarted or rebuilt.

load helpers/ship

N=30

setup_file() {
  sp_init_ship
  sp_repo app "$REPO_ROOT/test/fixtures/services/env-echo" >/dev/null
  sp_hq_init
  for i in $(seq 1 "$N"); do sp_orders "s$i" 3000 app; done
  sp_commit hq "$N services" >/dev/null
  sp_start_ship
}

teardown_file() {
  sp_teardown_ship
}

# online: how many services are online, and their containers (sorted), as "COUNT NAME...".
online() {
  "$STARPHLEET" status --root "$SP_ROOT" --json | node -e '
    const d = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const on = d.services.filter((s) => s.state === "online");
    console.log([on.length, ...on.map((s) => s.container).sort()].join(" "));'
}

# every_answers: each of the N paths answers through nginx with its own JSON.
every_answers() {
  local i
  for i in $(seq 1 "$N"); do
    curl -sf --max-time 5 "http://127.0.0.1:$SP_PORT/s$i/" | grep -q '"PORT":"3000"' || { echo "/s$i did not answer" >&2; return 1; }
  done
}

@test "$N services go live from a cold start; the agent survives kill -9 and a restart with all of them serving, none restarted" {
  deadline=$((SECONDS + 300))
  until [ "$(online | cut -d' ' -f1)" = "$N" ]; do
    [ "$SECONDS" -lt "$deadline" ] || { "$STARPHLEET" status --root "$SP_ROOT" >&2; false; }
    sleep 1
  done
  echo "# $N services live ${SECONDS}s into the file" >&3
  every_answers
  before=$(online)
  builds=$(grep -c "Building " "$SP_TMP/agent.log" || true)
  kill -9 "$(cat "$SP_TMP/agent.pid")"
  sleep 1
  # Serving does not depend on the agent.
  every_answers
  sp_start_ship
  run "$STARPHLEET" nudge --root "$SP_ROOT"
  [ "$status" -eq 0 ]
  sleep 3
  [ "$(online)" = "$before" ]
  every_answers
  # Nothing was built again.
  [ "$(grep -c "Building " "$SP_TMP/agent.log" || true)" = "$builds" ]
}

@test "the agent replaced itself (same pid) with one whose JIT is off" {
  pid=$(cat "$SP_TMP/agent.pid")
  tr '\0' '\n' <"/proc/$pid/environ" | grep -qx 'BUN_JSC_useJIT=0'
  # execve kept the pid the shell started, and the command line it was given.
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'ship run --root '
}
