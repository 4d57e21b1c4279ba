#!/usr/bin/env bats
# The phleet: three ships, each a network namespace this test creates (a veth
# to a test bridge on 10.214.X.0/24, its own sshd, agent, root, bridge and
# nginx), added over ssh from a clean profile. Nothing leaves this machine.

load helpers/ship
load helpers/netns
load helpers/load

setup_file() {
  sp_init_ship
  sp_ns_init
  export STARPHLEET_HOME="$SP_TMP/home"
  sp_repo web "$REPO_ROOT/test/fixtures/services/py-phleet" >/dev/null
  sp_hq_init
  sp_orders "" 8000 web
  sp_commit hq "web at /" >/dev/null
  for i in 1 2 3; do sp_ns_ship "$i"; done
  # A clean profile; no local ship to enroll on.
  STARPHLEET_ROOT="$SP_TMP/no-local-ship" "$STARPHLEET" init test --headquarters "file://$SP_REPOS/hq.git" >/dev/null
}

teardown_file() {
  if [ -f "$SP_TMP/balancer/nginx.pid" ]; then nginx -p "$SP_TMP/balancer" -c nginx.conf -s stop 2>/dev/null || true; fi
  for i in 1 2 3; do
    root="$NS_TMP/ship$i/root"
    if [ -x "$root/bin/starphleet" ]; then
      sp_ns_exec "$i" "$root/bin/starphleet" ship service uninstall --root "$root" >/dev/null 2>&1 || true
      sp_ns_exec "$i" "$root/bin/starphleet" ship down --root "$root" >/dev/null 2>&1 || true
    fi
  done
  sp_ns_teardown
  rm -rf "$SP_TMP"
}

# body_of I: what ship I's front door answers at /.
body_of() {
  curl -s --max-time 2 "http://$(sp_ns_addr "$1")/" || true
}

# wait_ship_body I PATTERN [SECONDS]
wait_ship_body() {
  local deadline=$((SECONDS + ${3:-120})) body
  while [ "$SECONDS" -lt "$deadline" ]; do
    body=$(body_of "$1")
    if printf '%s' "$body" | grep -qE "$2"; then return 0; fi
    sleep 0.5
  done
  echo "ship $1 never answered '$2'; last: $body" >&2
  tail -n 20 "$NS_TMP/ship$1/root/logs/agent.log" >&2 || true
  return 1
}

@test "add ship x3 over ssh from a clean profile; ships lists them up" {
  for i in 1 2 3; do
    run "$STARPHLEET" add ship "root@$(sp_ns_addr "$i")" --identity "$NS_KEY" --root "$NS_TMP/ship$i/root" \
      --name "ship$i" --pulse 1 --nat off --init keepalive
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"ship$i: agent answering"* ]]
    [[ "$output" == *"ship$i: admiral key enrolled"* ]]
    [[ "$output" == *"ship ship$i added to phleet test"* ]]
  done
  run "$STARPHLEET" ships
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(grep -c ' up ' <<<"$output")" -eq 3 ]
}

@test "every ship serves the same HQ at the same commits" {
  for i in 1 2 3; do wait_ship_body "$i" "phleet v1"; done
  run "$STARPHLEET" status --json
  echo "$output"
  node -e '
    const d = JSON.parse(process.argv[1]);
    if (d.ships.length !== 3 || !d.ships.every((s) => s.ok)) { console.error("not 3 ships up"); process.exit(1); }
    const hq = new Set(d.ships.map((s) => s.status.ship.hqCommit));
    const web = new Set(d.ships.map((s) => s.status.services.find((x) => x.path === "/").servingCommit));
    if (hq.size !== 1 || web.size !== 1 || [...web][0] === null) { console.error("commits differ"); process.exit(1); }
  ' "$output"
}

@test "set reaches all three ships and every service rolls over to it" {
  run "$STARPHLEET" set GREETING hello
  echo "$output"
  [ "$status" -eq 0 ]
  for i in 1 2 3; do [[ "$output" == *"ship$i: set GREETING (version 1)"* ]]; done
  for i in 1 2 3; do wait_ship_body "$i" "greeting=hello" 90; done
}

@test "a ship whose agent was down catches up by itself; a missed set arrives when the CLI reaches it" {
  root2="$NS_TMP/ship2/root"
  sp_ns_exec 2 "$root2/bin/starphleet" ship service uninstall --root "$root2"
  # Serving does not depend on the agent.
  [[ "$(body_of 2)" == *"phleet v1"* ]]
  sed -i 's/phleet v1/phleet v2/' "$SP_WORK/web/app.py"
  sp_commit web "v2" >/dev/null
  wait_ship_body 1 "phleet v2"
  wait_ship_body 3 "phleet v2"
  [[ "$(body_of 2)" == *"phleet v1"* ]]
  # A set while ship2 is down: the others get it, ship2 is reported.
  run "$STARPHLEET" set --timeout 5 LATE yes
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"ship2: unreachable"* ]]
  run "$STARPHLEET" ships --timeout 5
  [ "$status" -eq 1 ]
  [[ "$output" == *"ship2"*"DOWN"* ]]
  # Back up: it pulls v2 without anyone asking it to.
  sp_ns_exec 2 "$root2/bin/starphleet" ship service install --root "$root2"
  wait_ship_body 2 "phleet v2" 120
  # The next command that reaches it delivers the set it missed.
  run "$STARPHLEET" ships
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(grep -c 'secrets v2' <<<"$output")" -eq 3 ]
}

@test "logs --follow merges lines from two ships, labelled by ship" {
  "$STARPHLEET" logs --follow / >"$SP_TMP/follow.out" 2>"$SP_TMP/follow.err" &
  follow=$!
  sleep 3
  curl -s "http://$(sp_ns_addr 1)/mark-from-ship1" >/dev/null
  curl -s "http://$(sp_ns_addr 2)/mark-from-ship2" >/dev/null
  deadline=$((SECONDS + 20))
  until grep -q "request /mark-from-ship1" "$SP_TMP/follow.out" && grep -q "request /mark-from-ship2" "$SP_TMP/follow.out"; do
    [ "$SECONDS" -lt "$deadline" ] || break
    sleep 0.3
  done
  kill "$follow" 2>/dev/null || true
  wait "$follow" 2>/dev/null || true
  cat "$SP_TMP/follow.out" "$SP_TMP/follow.err"
  grep -qE "^ship1 .*request /mark-from-ship1" "$SP_TMP/follow.out"
  grep -qE "^ship2 .*request /mark-from-ship2" "$SP_TMP/follow.out"
  # Each line comes from the ship that served it, never the other.
  run grep -cE "^ship1 .*mark-from-ship2" "$SP_TMP/follow.out"
  [ "$output" = "0" ]
  # --ship narrows it to one ship.
  run "$STARPHLEET" logs / --ship ship2 --grep mark-from
  [ "$status" -eq 0 ]
  [[ "$output" == *"mark-from-ship2"* ]]
  [[ "$output" != *"mark-from-ship1"* ]]
}

@test "balancer: a load loop through it keeps getting 200 while one ship is stopped" {
  mkdir -p "$SP_TMP/balancer/logs"
  run "$STARPHLEET" balancer --listen "127.0.0.1:$SP_PORT"
  [ "$status" -eq 0 ]
  printf '%s\n' "$output" >"$SP_TMP/balancer/phleet.conf"
  cat >"$SP_TMP/balancer/nginx.conf" <<CONF
pid $SP_TMP/balancer/nginx.pid;
error_log $SP_TMP/balancer/logs/error.log;
events {}
http {
  access_log off;
  include $SP_TMP/balancer/phleet.conf;
}
CONF
  nginx -p "$SP_TMP/balancer" -c nginx.conf
  run curl -s "http://127.0.0.1:$SP_PORT/"
  [[ "$output" == *"phleet v2"* ]]
  LOAD_STOP_FILE="$SP_TMP/stop-balancer" load_start 60 /
  sleep 1
  root3="$NS_TMP/ship3/root"
  sp_ns_exec 3 "$root3/bin/starphleet" ship service uninstall --root "$root3"
  sp_ns_exec 3 "$root3/bin/starphleet" ship down --root "$root3"
  [ -z "$(body_of 3)" ]
  sleep 3
  load_finish "$SP_TMP/stop-balancer"
}

@test "remove ship on a running ship leaves nothing of it running, only its namespace's sshd" {
  root3="$NS_TMP/ship3/root"
  # ship3 was stopped for the balancer test: start it again and let it serve.
  sp_ns_exec 3 "$root3/bin/starphleet" ship service install --root "$root3"
  wait_ship_body 3 "phleet v2" 120
  [ "$(pgrep -fc "$root3")" -gt 0 ]
  run "$STARPHLEET" remove ship ship3
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"ship ship3 removed from phleet test"* ]]
  [ ! -e "$root3" ]
  # No agent, supervisor, container or nginx of it anywhere on the machine...
  run pgrep -fa "$root3"
  echo "left running: $output"
  [ -z "$output" ]
  # ...and in its namespace nothing but the test's sshd.
  left=$(ip netns pids "spns$NS_TAG-3" | xargs -r ps -o comm= -p | sort -u | tr '\n' ' ')
  echo "left: $left"
  [ "$left" = "sshd " ]
  [ -z "$(body_of 3)" ]
  run "$STARPHLEET" ships
  [[ "$output" != *"ship3"* ]]
  [ "$(grep -c ' up ' <<<"$output")" -eq 2 ]
}

@test "a ship added to a phleet that has secrets deploys its first container with them (it waits for the set)" {
  root3="$NS_TMP/ship3/root"
  run "$STARPHLEET" add ship "root@$(sp_ns_addr 3)" --identity "$NS_KEY" --root "$root3" --name ship3 --pulse 1 --nat off --init keepalive
  echo "$output"
  [ "$status" -eq 0 ]
  grep -q '^STARPHLEET_AWAIT_SECRETS=[1-9]' "$root3/ship.env"
  wait_ship_body 3 "greeting=hello" 120
  grep -q '"line":"secrets at set version [0-9]*: deploying"' "$root3/logs/agent.log"
  # Went live once, already with the secrets: no rollover to pick them up.
  grep -E '"line":"(serving |secrets |waiting |warning)' "$root3/logs/agent.log" || true
  run grep -c '"line":"serving ' "$root3/logs/agent.log"
  [ "$output" -eq 1 ]
}

@test "dashboard --ship gets a login link from a remote ship over ssh, naming its host; several ships need --ship" {
  run "$STARPHLEET" dashboard
  [ "$status" -eq 2 ]
  [[ "$output" == *"choose one with --ship NAME"* ]]
  run "$STARPHLEET" dashboard --ship ship1
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == "http://$(sp_ns_addr 1)/starphleet/dashboard/login?code="* ]]
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$output")" = 303 ]
}

@test "bad input: unknown ship, bad target, unreachable host" {
  run "$STARPHLEET" status --ship nosuch
  [ "$status" -eq 2 ]
  [[ "$output" == *"no ship 'nosuch' in phleet test"* ]]
  run "$STARPHLEET" add ship 'root@bad host'
  [ "$status" -eq 2 ]
  run "$STARPHLEET" add ship "root@$NS_NET.99" --identity "$NS_KEY" --root "$SP_TMP/nowhere"
  [ "$status" -eq 1 ]
  [[ "$output" == *"cannot reach root@$NS_NET.99:22 over ssh"* ]]
  run "$STARPHLEET" remove ship nosuch
  [ "$status" -eq 1 ]
  [[ "$output" == *"no ship 'nosuch' in phleet test"* ]]
  run "$STARPHLEET" add ship "root@$(sp_ns_addr 1)" --identity "$NS_KEY" --root /usr
  [ "$status" -eq 1 ]
  [[ "$output" == *"ship root '/usr' is a system folder"* ]]
  run "$STARPHLEET" add ship "root@$(sp_ns_addr 1)" --init launchd
  [ "$status" -eq 2 ]
}
