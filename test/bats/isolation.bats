#!/usr/bin/env bats
# One misbehaving service stalls only itself: a git host that accepts and
# never answers, orders that leave processes behind or run too long, an HQ
# commit git cannot export and an unreadable secret set each leave healing,
# other services' deploys and `nudge` going, under a keep-alive request loop
# to a healthy service that must drop nothing.

load helpers/ship
load helpers/load

setup_file() {
  sp_init_ship
  for n in api web third; do
    mkdir -p "$SP_TMP/src-$n"
    cp -a "$REPO_ROOT/test/fixtures/services/node-api/." "$SP_TMP/src-$n/"
    sed -i "s/api v1/$n v1/" "$SP_TMP/src-$n/server.js"
    sp_repo "$n" "$SP_TMP/src-$n" >/dev/null
  done
  # A git host that takes the connection and never says a word.
  SILENT_PORT=$(sp_free_port)
  node -e 'require("net").createServer(() => {}).listen(Number(process.argv[1]), "127.0.0.1")' "$SILENT_PORT" &
  echo $! >"$SP_TMP/silent.pid"
  echo "$SILENT_PORT" >"$SP_TMP/silent.port"
  sp_hq_init
  sp_orders api 3000 api
  sp_orders web 3000 web
  sp_orders third 3000 third
  sp_commit hq "three services" >/dev/null
  sp_start_ship
  sp_wait_body /api/ "api v1" 120 >/dev/null
  sp_wait_body /web/ "web v1" 60 >/dev/null
  sp_wait_body /third/ "third v1" 60 >/dev/null
}

# Each test starts from a clean HQ remote and a readable secret set, whatever
# the test before left (a failed test must not fail the ones after it).
setup() {
  git -C "$SP_WORK/hq" push -q -f "$SP_REPOS/hq.git" HEAD:refs/heads/main
  if [ -e "$SP_TMP/set.json.broken" ]; then
    if [ -e "$SP_TMP/set.json.orig" ]; then cp -p "$SP_TMP/set.json.orig" "$SP_ROOT/secrets/set.json"; else rm -f "$SP_ROOT/secrets/set.json"; fi
    rm -f "$SP_TMP/set.json.broken"
  fi
}

teardown_file() {
  kill "$(cat "$SP_TMP/silent.pid")" 2>/dev/null || true
  pkill -KILL -f 'sleep 4242' 2>/dev/null || true
  pkill -KILL -f 'sleep 4343' 2>/dev/null || true
  pkill -KILL -f spdaemon4545 2>/dev/null || true
  sp_teardown_ship
}

# status_field PATH EXPR: a field of one service in `status --json` (EXPR in terms of s).
status_field() {
  "$STARPHLEET" status --root "$SP_ROOT" --json | node -e '
    const d = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const s = d.services.find((x) => x.path === process.argv[1]);
    console.log(s ? String(eval(process.argv[2])) : "missing");
  ' "$1" "$2"
}

# kill_app PATH: kill -9 the app process (the leaf under the container's init).
kill_app() {
  local name pid child
  name=$(status_field "$1" s.container)
  pid=$(lxc-info -P "$SP_ROOT/containers" -n "$name" -p -H)
  while child=$(pgrep -P "$pid" | head -n 1) && [ -n "$child" ]; do pid=$child; done
  kill -9 "$pid"
}

# ship_field EXPR: a field of the ship block of `status --json` (EXPR in terms of d).
ship_field() {
  "$STARPHLEET" status --root "$SP_ROOT" --json | node -e '
    const d = JSON.parse(require("fs").readFileSync(0, "utf8")).ship;
    console.log(String(eval(process.argv[1])));
  ' "$1"
}

# wait_field PATH|- EXPR GLOB [SECONDS]: until the field (of a service, or of
# the ship for -) matches the glob pattern; prints the last value on failure.
wait_field() {
  local deadline=$((SECONDS + ${4:-20})) value
  while :; do
    if [ "$1" = - ]; then value=$(ship_field "$2"); else value=$(status_field "$1" "$2"); fi
    # shellcheck disable=SC2053
    [[ "$value" == $3 ]] && return 0
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "$1 $2 is still '$value', not '$3'" >&2
      tail -n 20 "$SP_TMP/agent.log" >&2
      return 1
    fi
    sleep 0.2
  done
}

@test "a service whose git host never answers: another service's killed app is back within 10 s, a push to a third is live within 20 s, nudge returns within 3 s" {
  LOAD_STOP_FILE="$SP_TMP/stop-git" load_start 90
  mkdir -p "$SP_WORK/hq/stuck"
  printf 'export PORT=3000\nautodeploy http://127.0.0.1:%s/x.git\n' "$(cat "$SP_TMP/silent.port")" >"$SP_WORK/hq/stuck/orders"
  sp_commit hq "a service on a silent git host" >/dev/null
  # Its pipeline is stuck in its fetch (and says so).
  wait_field /stuck s.step fetch 30
  restarts=$(status_field /web s.restarts)
  kill_app /web
  killed_at=$SECONDS
  run sp_wait_body /web/ "web v1" 10
  [ "$status" -eq 0 ]
  echo "# /web answered again $((SECONDS - killed_at)) s after kill -9" >&3
  wait_field /web "s.restarts > $restarts" true 10
  sed -i "s/third v1/third v2/" "$SP_WORK/third/server.js"
  sp_commit third "v2" >/dev/null
  start=$(date +%s%N)
  run timeout 10 "$STARPHLEET" nudge --root "$SP_ROOT"
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  echo "# nudge returned in $ms ms" >&3
  [ "$status" -eq 0 ]
  [ "$ms" -lt 3000 ]
  pushed_at=$SECONDS
  run sp_wait_body /third/ "third v2" 20
  [ "$status" -eq 0 ]
  echo "# /third v2 live $((SECONDS - pushed_at)) s after the nudge" >&3
  # Still stalled (or cut at its git deadline), and shown as such.
  step=$(status_field /stuck s.step)
  [ "$step" = fetch ] || [[ "$(status_field /stuck s.error)" == *"no answer from http://127.0.0.1:"* ]]
  load_finish "$SP_TMP/stop-git"
  # The git deadline cuts it and names the cause.
  wait_field /stuck s.error "*within 30 s (STARPHLEET_GIT_TIMEOUT)*" 40
  rm -rf "$SP_WORK/hq/stuck"
  sp_commit hq "no stuck service" >/dev/null
  wait_field /stuck s.path missing 20
}

@test "orders that leave setsid sleep behind: their leftovers are killed at once; orders that run on are cut at 10 s with all they started" {
  LOAD_STOP_FILE="$SP_TMP/stop-orders" load_start 60
  sp_orders third 3000 third 'setsid sleep 4242 &'
  mkdir -p "$SP_WORK/hq/slow"
  printf 'export PORT=3000\nautodeploy file://%s/api.git\nsetsid sleep 4343 &\nsleep 30\n' "$SP_REPOS" >"$SP_WORK/hq/slow/orders"
  sp_commit hq "orders with leftovers" >/dev/null
  read_at=$SECONDS
  wait_field /slow s.error "*ran longer than 10 s*" 20
  echo "# slow orders cut $((SECONDS - read_at)) s after the HQ commit" >&3
  [ "$(status_field /slow s.state)" = failed ]
  run pgrep -f 'sleep 4343'
  [ "$status" -ne 0 ]
  run pgrep -f 'sleep 4242'
  [ "$status" -ne 0 ]
  # The other services' orders read and their apps serve meanwhile.
  [ "$(status_field /third s.state)" = online ]
  [ "$(status_field /third s.error)" = null ]
  rm -rf "$SP_WORK/hq/slow"
  sp_orders third 3000 third
  sp_commit hq "plain orders again" >/dev/null
  wait_field /slow s.path missing 20
  load_finish "$SP_TMP/stop-orders"
}

@test "an HQ commit git cannot export: hqError in status, nothing that serves changes, healing goes on" {
  before=$("$STARPHLEET" status --root "$SP_ROOT" --json | node -e 'const d=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(d.services.map(s=>s.path+"="+s.container).join(" "))')
  LOAD_STOP_FILE="$SP_TMP/stop-hq" load_start 60
  # A tree entry named '..': git stores it, but no checkout can write it.
  blob=$(echo bad | git -C "$SP_WORK/hq" hash-object -w --stdin)
  tree=$(printf '100644 blob %s\t..\n' "$blob" | git -C "$SP_WORK/hq" mktree)
  bad=$(git -C "$SP_WORK/hq" commit-tree "$tree" -p HEAD -m "unexportable")
  git -C "$SP_WORK/hq" push -q "$SP_REPOS/hq.git" "$bad:refs/heads/main"
  wait_field - d.hqError "headquarters * at ${bad:0:12}: *" 20
  run "$STARPHLEET" status --root "$SP_ROOT"
  [[ "$output" == *"ERROR headquarters"* ]]
  # Healing goes on while the HQ cannot be read.
  restarts=$(status_field /api s.restarts)
  kill_app /api
  wait_field /api "s.restarts > $restarts && s.state" online 15
  after=$("$STARPHLEET" status --root "$SP_ROOT" --json | node -e 'const d=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(d.services.map(s=>s.path+"="+s.container).join(" "))')
  [ "$before" = "$after" ]
  # A good commit on top clears it.
  git -C "$SP_WORK/hq" push -q -f "$SP_REPOS/hq.git" "HEAD:refs/heads/main"
  wait_field - d.hqError null 20
  load_finish "$SP_TMP/stop-hq"
}

@test "a corrupt set.json is reported with its path; a killed app is not started without its secrets and heals once the set is repaired" {
  set_file="$SP_ROOT/secrets/set.json"
  [ ! -e "$set_file" ] || cp -p "$set_file" "$SP_TMP/set.json.orig"
  LOAD_STOP_FILE="$SP_TMP/stop-secrets" load_start 60
  touch "$SP_TMP/set.json.broken"
  printf '{"version": 3, "entries": {' >"$set_file"
  kill_app /web
  wait_field /web s.error "*not restarted: its phleet secrets cannot be read: $set_file: unreadable secret set*" 15
  [ "$(status_field /web s.state)" = restarting ]
  wait_field - d.secretsError "$set_file: unreadable secret set*" 5
  # Healing goes on for the rest of the ship: /third is still online and answers.
  [ "$(status_field /third s.state)" = online ]
  run curl -s --max-time 2 "http://127.0.0.1:$SP_PORT/third/"
  [[ "$output" == *"third v2"* ]]
  if [ -e "$SP_TMP/set.json.orig" ]; then cp -p "$SP_TMP/set.json.orig" "$set_file"; else rm -f "$set_file"; fi
  rm -f "$SP_TMP/set.json.broken"
  repaired_at=$SECONDS
  run sp_wait_body /web/ "web v1" 20
  [ "$status" -eq 0 ]
  echo "# /web answered $((SECONDS - repaired_at)) s after the set was repaired" >&3
  wait_field /web s.state online 10
  wait_field - d.secretsError null 10
  load_finish "$SP_TMP/stop-secrets"
}

@test "a build that leaves a TERM-ignoring daemon: it is gone when the build ends, and the service goes live" {
  mkdir -p "$SP_TMP/src-daemon"
  cp -a "$REPO_ROOT/test/fixtures/services/node-api/." "$SP_TMP/src-daemon/"
  sed -i "s/api v1/daemon v1/" "$SP_TMP/src-daemon/server.js"
  node -e '
    const f = process.argv[1], p = JSON.parse(require("fs").readFileSync(f, "utf8"));
    // Its stdio let go, so npm finishes; the daemon itself stays (it ignores TERM).
    p.scripts.postinstall = "setsid bash -c '\''trap \"\" TERM; exec -a spdaemon4545 sleep 900'\'' </dev/null >/dev/null 2>&1 &";
    require("fs").writeFileSync(f, JSON.stringify(p, null, 2));
  ' "$SP_TMP/src-daemon/package.json"
  sp_repo daemon "$SP_TMP/src-daemon" >/dev/null
  sp_orders daemon 3000 daemon
  sp_commit hq "a build that leaves a daemon" >/dev/null
  committed_at=$SECONDS
  run sp_wait_body /daemon/ "daemon v1" 90
  echo "$output"
  [ "$status" -eq 0 ]
  echo "# /daemon live $((SECONDS - committed_at)) s after the HQ commit" >&3
  grep -q "spdaemon4545\|postinstall" "$SP_ROOT"/logs/build-daemon-*.log
  run pgrep -f spdaemon4545
  [ "$status" -ne 0 ]
}

@test "a repo whose Procfile and healthcheck link to host files: the deploy fails naming the file, and no content leaks" {
  token=$(cat "$SP_ROOT/dashboard.token")
  [ -n "$token" ]
  mkdir -p "$SP_TMP/src-links"
  cp -a "$REPO_ROOT/test/fixtures/services/node-api/." "$SP_TMP/src-links/"
  ln -s "$SP_ROOT/dashboard.token" "$SP_TMP/src-links/healthcheck"
  ln -s /etc/shadow "$SP_TMP/src-links/Procfile"
  sp_repo links "$SP_TMP/src-links" >/dev/null
  LOAD_STOP_FILE="$SP_TMP/stop-links" load_start 60
  sp_orders links 3000 links
  sp_commit hq "a repo with links out of its tree" >/dev/null
  wait_field /links s.error "*Procfile: is a link that leaves the app's tree (not followed)*" 60
  [ "$(status_field /links s.state)" = failed ]
  # Neither the token nor a line of /etc/shadow is anywhere the ship wrote, or in what it says.
  shadow_line=$(head -n 1 /etc/shadow)
  run grep -rlF -e "$token" "$SP_ROOT" --exclude=dashboard.token
  [ "$status" -ne 0 ]
  run grep -rlF -e "$shadow_line" "$SP_ROOT"
  [ "$status" -ne 0 ]
  run grep -qF -e "$token" -e "$shadow_line" "$SP_TMP/agent.log"
  [ "$status" -ne 0 ]
  out=$("$STARPHLEET" status --root "$SP_ROOT" --json || true) # exit 1: a service is failed
  [[ "$out" != *"$token"* ]]
  [[ "$out" != *"$shadow_line"* ]]
  # The link targets were not touched (a chown through a link would give them to the build user).
  [ "$(stat -c %u /etc/shadow)" -eq 0 ]
  [ "$(stat -c %u "$SP_ROOT/dashboard.token")" -eq 0 ]
  load_finish "$SP_TMP/stop-links"
}

@test "orders that try to write a sibling's orders: refused, run as nobody; the sibling is unchanged, also after an agent restart" {
  third_before=$(status_field /third s.container)
  mkdir -p "$SP_WORK/hq/writer"
  # shellcheck disable=SC2016 # $(id -u) runs in the orders
  printf 'export PORT=3000\nautodeploy file://%s/web.git\necho "export TAMPERED=1" >>../third/orders\nexport ORDERS_UID=$(id -u)\n' "$SP_REPOS" >"$SP_WORK/hq/writer/orders"
  sp_commit hq "orders that write a sibling" >/dev/null
  run sp_wait_status "/writer +online" 60
  [ "$status" -eq 0 ]
  run "$STARPHLEET" attach --root "$SP_ROOT" /writer -- printenv ORDERS_UID
  [ "$output" = 65534 ]
  run grep -l TAMPERED "$SP_ROOT"/hq/*/third/orders
  [ "$status" -ne 0 ]
  kill -9 "$(cat "$SP_TMP/agent.pid")"
  sp_start_ship
  run "$STARPHLEET" nudge --wait 30 --root "$SP_ROOT"
  [ "$status" -eq 0 ]
  run grep -l TAMPERED "$SP_ROOT"/hq/*/third/orders
  [ "$status" -ne 0 ]
  [ "$(status_field /third s.container)" = "$third_before" ]
  [ "$(status_field /third s.error)" = null ]
  run ls /tmp
  [[ "$output" != *starphleet-orders-* ]]
  rm -rf "$SP_WORK/hq/writer"
  sp_commit hq "no writer" >/dev/null
}

@test "a container cannot reach another container's port on the bridge; it reaches that service through nginx at its path" {
  api_ip=$(status_field /api s.ip)
  gw=${SP_SUBNET%.0/24}.1
  probe='const s = require("net").connect(Number(process.argv[2]), process.argv[1]);
    s.setTimeout(2000, () => { console.log("timeout"); process.exit(0); });
    s.on("connect", () => { console.log("connected"); process.exit(0); });
    s.on("error", (e) => { console.log(e.code); process.exit(0); });'
  run "$STARPHLEET" attach --root "$SP_ROOT" /web -- node -e "$probe" "$api_ip" 3000
  echo "# /web -> $api_ip:3000 directly: $output" >&3
  [ "$status" -eq 0 ]
  [[ "$output" != *connected* ]]
  run "$STARPHLEET" attach --root "$SP_ROOT" /web -- node -e "$probe" "$gw" "$SP_PORT"
  [[ "$output" == *connected* ]]
  run "$STARPHLEET" attach --root "$SP_ROOT" /web -- node -e 'fetch(process.argv[1]).then((r) => r.text()).then((t) => console.log(t))' "http://$gw:$SP_PORT/api/"
  [[ "$output" == *"api v1"* ]]
}

@test "a fork bomb in one orders file: a push to another service still goes live within its usual time" {
  mkdir -p "$SP_WORK/hq/bomb"
  printf 'export PORT=3000\nautodeploy file://%s/api.git\nb(){ b|b& }; b\n' "$SP_REPOS" >"$SP_WORK/hq/bomb/orders"
  sp_commit hq "a fork bomb in one orders file" >/dev/null
  LOAD_STOP_FILE="$SP_TMP/stop-bomb" load_start 60
  current=$(curl -s "http://127.0.0.1:$SP_PORT/third/" | grep -o 'third v[0-9]*')
  next="third v$(( ${current#third v} + 1 ))"
  sed -i "s/$current/$next/" "$SP_WORK/third/server.js"
  sp_commit third "after the bomb" >/dev/null
  pushed_at=$SECONDS
  run sp_wait_body /third/ "$next" 20
  [ "$status" -eq 0 ]
  echo "# /third $next live $((SECONDS - pushed_at)) s after the push, beside the fork bomb" >&3
  # Nothing of the bomb is left running.
  sleep 1
  run compgen -G "/sys/fs/cgroup/pids/starphleet/orders-*"
  [ "$status" -ne 0 ]
  run compgen -G "/sys/fs/cgroup/starphleet/orders-*"
  [ "$status" -ne 0 ]
  rm -rf "$SP_WORK/hq/bomb"
  sp_commit hq "no bomb" >/dev/null
  load_finish "$SP_TMP/stop-bomb"
}

@test "the ship root keeps what only root reads private: logs, slugs, repos, the HQ snapshot, container trees" {
  for d in logs slugs repos cache hq builds containers bases run/supervisors; do
    [ "$(stat -c %a "$SP_ROOT/$d")" = 700 ] || { echo "$d is $(stat -c %a "$SP_ROOT/$d")"; return 1; }
  done
  [ "$(stat -c %a "$SP_ROOT/dashboard.token")" = 600 ]
  [ "$(stat -c %a "$SP_ROOT/secrets")" = 700 ]
  # nobody (who reads orders) sees none of it.
  run setpriv --reuid=65534 --regid=65534 --clear-groups ls "$SP_ROOT/logs"
  [ "$status" -ne 0 ]
}
