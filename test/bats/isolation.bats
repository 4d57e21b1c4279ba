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
  # A short healthcheck budget: the hold answers 503 for /web after 6 s.
  sp_orders web 3000 web "export HEALTHCHECK_TIMEOUT=6"
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
  for f in "$SP_TMP"/*.listener.pid; do [ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
  # The "outside" namespace a test made (its name in a file: a test's variables end with it).
  if [ -s "$SP_TMP/out-ns" ]; then
    read -r out_ns out_veth <"$SP_TMP/out-ns"
    ip netns del "$out_ns" 2>/dev/null || true
    ip link del "$out_veth" 2>/dev/null || true
  fi
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

@test "a flipped byte in set.json: a killed app is not started without its secrets, the hold answers 503 after its budget, a repaired set heals" {
  export STARPHLEET_HOME="$SP_TMP/home"
  # A real set: an admiral profile enrolled on this ship, and one secret in it.
  [ -e "$STARPHLEET_HOME" ] || "$STARPHLEET" init iso --headquarters "file://$SP_REPOS/hq.git" --root "$SP_ROOT" >/dev/null
  "$STARPHLEET" set ISO_SECRET hush --no-restart >/dev/null
  set_file="$SP_ROOT/secrets/set.json"
  cp -p "$set_file" "$SP_TMP/set.json.orig"
  LOAD_STOP_FILE="$SP_TMP/stop-secrets" load_start 60
  touch "$SP_TMP/set.json.broken"
  # One byte of the sealed value's ciphertext changes (its base64 text, one character).
  node -e '
    const fs = require("fs"), f = process.argv[1], set = JSON.parse(fs.readFileSync(f, "utf8"));
    const m = set.entries.ISO_SECRET.message, payload = JSON.parse(m.payload), ct = payload.sealed.ct;
    payload.sealed.ct = (ct[0] === "A" ? "B" : "A") + ct.slice(1);
    m.payload = JSON.stringify(payload);
    fs.writeFileSync(f, JSON.stringify(set, null, 2) + "\n");
  ' "$set_file"
  run cmp -s "$set_file" "$SP_TMP/set.json.orig"
  [ "$status" -ne 0 ]
  kill_app /web
  wait_field /web s.error "*not restarted: its phleet secrets cannot be read: $set_file: *" 15
  [ "$(status_field /web s.state)" = restarting ]
  wait_field - d.secretsError "$set_file: *" 5
  # A request waits in the hold for /web's healthcheck budget (6 s), then gets a 503.
  asked_at=$SECONDS
  run curl -s -o /dev/null -w '%{http_code}' --max-time 30 "http://127.0.0.1:$SP_PORT/web/"
  echo "# /web answered $output after $((SECONDS - asked_at)) s" >&3
  [ "$output" = 503 ]
  [ $((SECONDS - asked_at)) -ge 5 ]
  # Healing goes on for the rest of the ship: /third is still online and answers.
  [ "$(status_field /third s.state)" = online ]
  run curl -s --max-time 2 "http://127.0.0.1:$SP_PORT/third/"
  [[ "$output" == *"third v"* ]]
  cp -p "$SP_TMP/set.json.orig" "$set_file"
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
  killed=$(cat "$SP_TMP/agent.pid")
  kill -9 "$killed"
  sp_start_ship
  run "$STARPHLEET" nudge --wait 30 --root "$SP_ROOT"
  [ "$status" -eq 0 ]
  # Nothing a killed agent's orders reads left: no copy, no cgroup.
  run compgen -G "/sys/fs/cgroup/*starphleet/orders-*-$killed"
  [ "$status" -ne 0 ]
  run compgen -G "/sys/fs/cgroup/pids/starphleet/orders-*-$killed"
  [ "$status" -ne 0 ]
  run grep -l TAMPERED "$SP_ROOT"/hq/*/third/orders
  [ "$status" -ne 0 ]
  [ "$(status_field /third s.container)" = "$third_before" ]
  [ "$(status_field /third s.error)" = null ]
  run ls -A "$SP_ROOT/run/orders"
  [ "$output" = "" ]
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
  # nginx on the bridge's gateway: reached (three tries: /web may just have been restarted by an earlier test).
  for _ in 1 2 3; do
    run "$STARPHLEET" attach --root "$SP_ROOT" /web -- node -e "$probe" "$gw" "$SP_PORT"
    [[ "$output" == *connected* ]] && break
    echo "# /web -> $gw:$SP_PORT: $output" >&3
    sleep 1
  done
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
  agent=$(cat "$SP_TMP/agent.pid")
  run compgen -G "/sys/fs/cgroup/pids/starphleet/orders-*-$agent"
  [ "$status" -ne 0 ]
  run compgen -G "/sys/fs/cgroup/starphleet/orders-*-$agent"
  [ "$status" -ne 0 ]
  rm -rf "$SP_WORK/hq/bomb"
  sp_commit hq "no bomb" >/dev/null
  load_finish "$SP_TMP/stop-bomb"
}

@test "the ship root is private: root-only folders 0700, container folders pass-through only, no file others can read" {
  for d in logs repos hq run/supervisors secrets; do
    [ "$(stat -c %a "$SP_ROOT/$d")" = 700 ] || { echo "$d is $(stat -c %a "$SP_ROOT/$d")"; return 1; }
  done
  # What containers (their mapped root) must pass through, nobody else may list.
  for d in slugs cache builds containers bases; do
    [ "$(stat -c %a "$SP_ROOT/$d")" = 711 ] || { echo "$d is $(stat -c %a "$SP_ROOT/$d")"; return 1; }
  done
  [ "$(stat -c %a "$SP_ROOT/dashboard.token")" = 600 ]
  # The token has no copy anywhere else under the root.
  token=$(cat "$SP_ROOT/dashboard.token")
  run grep -rlF -e "$token" "$SP_ROOT" --exclude=dashboard.token
  [ "$status" -ne 0 ]
  # No file under the root that others can read, but the ship's own scripts
  # (assets/), the base images (copies of the host's public /etc files) and
  # the runtimes it fetched (the npm registry's public Node.js releases).
  run find "$SP_ROOT" -xdev \( -path "$SP_ROOT/assets" -o -path "$SP_ROOT/bases" -o -path "$SP_ROOT/runtimes" \) -prune -o -type f -perm -o+r -print
  echo "$output"
  [ -z "$output" ]
  # A container's tree and a slug belong to the container's uids, not to others.
  api=$(status_field /api s.container)
  api_commit=$(status_field /api s.servingCommit)
  root_uid=$(ship_field 'd.containers.match(/host uids (\d+)/)[1]')
  [ "$(stat -c '%u %a' "$SP_ROOT/containers/$api")" = "$root_uid 700" ]
  [ "$(stat -c '%u %a' "$SP_ROOT/containers/$api/env/orders.env")" = "$root_uid 600" ]
  slug="$SP_ROOT/slugs/${api%%--*}/$api_commit"
  echo "slug $slug: $(stat -c '%u %a' "$slug")"
  [ "$(stat -c '%u %a' "$slug")" = "$((root_uid + 10000)) 700" ]
  # nobody (who reads orders) sees none of it.
  for f in "$SP_ROOT/logs" "$SP_ROOT/containers/$api/env/orders.env" "$slug/app/server.js" "$SP_ROOT/containers"; do
    run setpriv --reuid=65534 --regid=65534 --clear-groups ls "$f"
    [ "$status" -ne 0 ] || { echo "nobody can list $f"; return 1; }
  done
}

@test "apps and builds are unprivileged: root inside is a uid of the ship's range, NoNewPrivs 1, no setuid anywhere" {
  run ship_field d.containers
  echo "# containers: $output" >&3
  [[ "$output" == "unprivileged (host uids "* ]]
  root_uid=$(ship_field 'd.containers.match(/host uids (\d+)/)[1]')
  grep -qx "root:$root_uid:65536" /etc/subuid
  grep -qx "root:$root_uid:65536" /etc/subgid
  sp_repo probe "$REPO_ROOT/test/fixtures/services/probe" >/dev/null
  sp_orders probe 3000 probe
  sp_commit hq "a service that reports who it is" >/dev/null
  run sp_wait_body /probe/ noNewPrivs 90
  [ "$status" -eq 0 ]
  app=$output
  echo "# app: $app" >&3
  node -e '
    const [app, root] = [JSON.parse(process.argv[1]), Number(process.argv[2])];
    const want = { uidMap: `0 ${root} 65536`, gidMap: `0 ${root} 65536`, uid: "10000", noNewPrivs: "1", capEff: "0000000000000000" };
    for (const [k, v] of Object.entries(want)) if (app[k] !== v) throw new Error(`app ${k} is ${app[k]}, not ${v}`);
    for (const m of ["rootMount", "usrMount"]) if (!/\bnosuid\b/.test(app[m]) || !/\bnodev\b/.test(app[m])) throw new Error(`${m}: ${app[m]}`);
  ' "$app" "$root_uid"
  # The host sees the app as the range's uid 10000 above its root, never 0.
  name=$(status_field /probe s.container)
  pid=$(lxc-info -P "$SP_ROOT/containers" -n "$name" -p -H)
  while child=$(pgrep -P "$pid" | head -n 1) && [ -n "$child" ]; do pid=$child; done
  [ "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" = "$((root_uid + 10000))" ]
  # The build ran the same way.
  build=$(grep -ho 'PROBE identity .*' "$SP_ROOT"/logs/build-probe-*.log | head -n 1)
  echo "# build: $build" >&3
  node -e '
    const [b, root] = [JSON.parse(process.argv[1].replace(/^PROBE identity /, "")), Number(process.argv[2])];
    if (b.uidMap !== `0 ${root} 65536` || b.uid !== "10000" || b.noNewPrivs !== "1") throw new Error(JSON.stringify(b));
  ' "$build" "$root_uid"
}

# listener NAME ADDRESS PORT: a TCP server that answers every connection with
# "NAME <the peer's address>"; its pid in $SP_TMP/NAME.listener.pid.
listener() {
  "${@:4}" node -e '
    const [name, host, port] = process.argv.slice(1);
    require("net").createServer((s) => { s.on("error", () => {}); s.end(`${name} ${s.remoteAddress}\n`); }).listen(Number(port), host);
  ' "$1" "$2" "$3" &
  echo $! >"$SP_TMP/$1.listener.pid"
}

@test "a build reaches an address outside the ship through NAT of its own (--nat off), not the host's loopback nor the host itself" {
  # "Outside": a namespace this test makes, routed from the host on a /30 of its own.
  OUT_NS="spout$((RANDOM % 100000))"
  OUT_VETH="spo${OUT_NS#spout}"
  local n
  for n in $(shuf -i 1-250 -n 60); do ip -4 route | grep -q "^10\.215\.$n\." || break; done
  echo "$OUT_NS $OUT_VETH" >"$SP_TMP/out-ns"
  ip netns add "$OUT_NS"
  ip link add "$OUT_VETH" type veth peer name "${OUT_VETH}n"
  ip link set "${OUT_VETH}n" netns "$OUT_NS"
  ip addr add "10.215.$n.1/30" dev "$OUT_VETH"
  ip link set "$OUT_VETH" up
  ip -n "$OUT_NS" link set lo up
  ip -n "$OUT_NS" addr add "10.215.$n.2/30" dev "${OUT_VETH}n"
  ip -n "$OUT_NS" link set "${OUT_VETH}n" up
  ip -n "$OUT_NS" route add default via "10.215.$n.1"
  gw=${SP_SUBNET%.0/24}.1
  loop_port=$(sp_free_port)
  host_port=$(sp_free_port)
  listener outside "10.215.$n.2" 8080 ip netns exec "$OUT_NS"
  listener loopback 127.0.0.1 "$loop_port"
  listener gateway "$gw" "$host_port"
  sleep 0.5
  # The host itself reaches all three (so a refusal below is the build's).
  for target in "10.215.$n.2/8080" "127.0.0.1/$loop_port" "$gw/$host_port"; do
    timeout 3 bash -c "exec 5<>/dev/tcp/$target" || { echo "the host cannot reach $target"; return 1; }
  done
  mkdir -p "$SP_TMP/src-netprobe"
  cp -a "$REPO_ROOT/test/fixtures/services/probe/." "$SP_TMP/src-netprobe/"
  printf '{"outside":"10.215.%s.2:8080","loopback":"127.0.0.1:%s","host":"%s:%s"}\n' "$n" "$loop_port" "$gw" "$host_port" >"$SP_TMP/src-netprobe/probe.json"
  sp_repo netprobe "$SP_TMP/src-netprobe" >/dev/null
  sp_orders netprobe 3000 netprobe
  sp_commit hq "a build that probes the network" >/dev/null
  run sp_wait_body /netprobe/ noNewPrivs 90
  [ "$status" -eq 0 ]
  log=$(grep -ho 'PROBE .*' "$SP_ROOT"/logs/build-netprobe-*.log)
  echo "$log" | sed 's/^/# /' >&3
  # Outside: reached, and from the host's address (NAT), not the build's.
  echo "$log" | grep -qx "PROBE outside connected outside 10.215.$n.1"
  # The host's loopback is the build's own: nothing listens there.
  echo "$log" | grep -qx "PROBE loopback ECONNREFUSED"
  # The host on the bridge: dropped.
  echo "$log" | grep -qx "PROBE host timeout"
  # Nothing is left open for the build once it is over.
  run bash -c "{ iptables -S; iptables -t nat -S; } | grep -F 'starphleet-build:$SP_BRIDGE'"
  [ "$status" -ne 0 ]
}

# rss_kib PID: resident memory of a process, KiB.
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

@test "a build printing 400 MB: the agent's memory does not grow with it, the build log is capped on disk, the log stream gets 1 MiB" {
  agent=$(cat "$SP_TMP/agent.pid")
  rss_before=$(rss_kib "$agent")
  sink_before=$(stat -c %s "$SP_TMP/agent.log")
  mkdir -p "$SP_TMP/src-loud"
  cp -a "$REPO_ROOT/test/fixtures/services/probe/." "$SP_TMP/src-loud/"
  node -e '
    const f = process.argv[1], p = JSON.parse(require("fs").readFileSync(f, "utf8"));
    p.scripts.postinstall = "head -c 400000000 /dev/zero | tr \"\\\\0\" x | fold -w 1000; echo LOUD-DONE";
    require("fs").writeFileSync(f, JSON.stringify(p, null, 2));
  ' "$SP_TMP/src-loud/package.json"
  sp_repo loud "$SP_TMP/src-loud" >/dev/null
  LOAD_STOP_FILE="$SP_TMP/stop-loud" load_start 120
  sp_orders loud 3000 loud
  sp_commit hq "a build that prints 400 MB" >/dev/null
  committed_at=$SECONDS
  run sp_wait_body /loud/ noNewPrivs 180
  echo "$output" | tail -n 5
  [ "$status" -eq 0 ]
  rss_after=$(rss_kib "$agent")
  sink_after=$(stat -c %s "$SP_TMP/agent.log")
  logs=("$SP_ROOT"/logs/build-loud-*.log*)
  on_disk=$(du -cb "${logs[@]}" | tail -n 1 | cut -f1)
  echo "# live in $((SECONDS - committed_at)) s; agent RSS ${rss_before} KiB before, ${rss_after} KiB after; build log ${on_disk} bytes on disk; agent log +$((sink_after - sink_before)) bytes" >&3
  [ $((rss_after - rss_before)) -lt 65536 ]
  [ "$on_disk" -le $((10 * 1024 * 1024 + 4096)) ]
  grep -q LOUD-DONE "${logs[@]}"
  [ $((sink_after - sink_before)) -lt $((3 * 1024 * 1024)) ]
  grep -q 'more output than 1 MiB: the rest is in' "$SP_TMP/agent.log"
  load_finish "$SP_TMP/stop-loud"
}
