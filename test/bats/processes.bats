#!/usr/bin/env bats
# The process model on one real ship: a Procfile's web, worker and release
# lines; PROCESSES counts (two web instances balanced by nginx, a worker
# stopped with 0); the release phase gating a release; a one-off `run`; and
# the release history.

load helpers/ship
load helpers/load

setup_file() {
  sp_init_ship
  export STARPHLEET_HOME="$SP_TMP/home"
  sp_repo procs "$REPO_ROOT/test/fixtures/services/node-procs" >/dev/null
  sp_hq_init
  sp_orders procs 3000 procs
  sp_commit hq "web, worker and release" >/dev/null
  sp_start_ship
}

teardown_file() {
  sp_teardown_ship
}

# procs_field EXPR: a field of /procs in status --json (s: the service).
procs_field() {
  "$STARPHLEET" status --root "$SP_ROOT" --json | node -e '
    const d = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const s = d.services.find((x) => x.path === "/procs");
    console.log(String(eval(process.argv[1])));' "$1"
}

# wait_procs EXPR VALUE [SECONDS]
wait_procs() {
  local deadline=$((SECONDS + ${3:-90})) got=""
  while [ "$SECONDS" -lt "$deadline" ]; do
    got=$(procs_field "$1" 2>/dev/null || true)
    [ "$got" = "$2" ] && return 0
    sleep 0.3
  done
  echo "timed out waiting for $1 = $2; last: $got" >&2
  "$STARPHLEET" status --root "$SP_ROOT" >&2 || true
  tail -n 30 "$SP_TMP/agent.log" >&2
  return 1
}

# logs_json: the service's last log records, one JSON object per line.
logs_json() {
  "$STARPHLEET" logs /procs --root "$SP_ROOT" --json --lines 2000
}

# containers_answering N: the distinct X-Starphleet-Container values of N requests.
containers_answering() {
  local i
  for i in $(seq 1 "$1"); do
    curl -s -o /dev/null -D - "http://127.0.0.1:$SP_PORT/procs/" | tr -d '\r' | sed -n 's/^X-Starphleet-Container: //ip'
  done | sort -u
}

@test "web and worker run side by side; the worker's lines are labelled worker.1; the release phase ran once, before web answered" {
  run sp_wait_body /procs/ "^procs v1 web\.1$" 120
  [ "$status" -eq 0 ]
  wait_procs 's.processes.map((p) => `${p.type}.${p.instance}=${p.state}`).join(" ")' "web.1=online worker.1=online" 30
  sleep 1.5
  logs_json >"$SP_TMP/logs.json"
  node -e '
    const recs = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const ticks = recs.filter((r) => r.process === "worker.1" && /^worker tick \d+ from worker\.1$/.test(r.line));
    if (ticks.length < 2) throw new Error("worker lines: " + ticks.length);
    const marks = recs.filter((r) => /^RELEASE-MARK v1/.test(r.line));
    if (marks.length !== 1 || marks[0].process !== "release" || marks[0].line !== "RELEASE-MARK v1 as release") throw new Error("release marks: " + JSON.stringify(marks));
    const web = recs.filter((r) => r.process === "web.1" && r.source === "app");
    if (web.length === 0 || !(marks[0].time <= web[0].time)) throw new Error("release after web: " + JSON.stringify([marks[0], web[0]]));
  ' "$SP_TMP/logs.json"
  run "$STARPHLEET" logs /procs --root "$SP_ROOT" --lines 50
  [[ "$output" == *" worker.1 app: worker tick "* ]]
  # The status line names the other process.
  run "$STARPHLEET" status --root "$SP_ROOT"
  [[ "$output" == *"worker.1=online"* ]]
}

@test "PROCESSES web=2: two containers answer, round-robin; a crash of one drops nothing; both roll over under load with 0 failures" {
  sp_orders procs 3000 procs 'export PROCESSES="web=2 worker=1"'
  sp_commit hq "two web instances" >/dev/null
  wait_procs 's.processes.map((p) => `${p.type}.${p.instance}=${p.state}`).join(" ")' "web.1=online web.2=online worker.1=online" 60
  run containers_answering 12
  echo "$output"
  [ "${#lines[@]}" -eq 2 ]
  run sp_wait_body /procs/ "^procs v1 web\.2$" 10
  [ "$status" -eq 0 ]
  # One instance crashes under load: nginx sends its requests to the other.
  LOAD_STOP_FILE="$SP_TMP/stop-crash" load_start 60 /procs/
  sleep 1
  run curl -s "http://127.0.0.1:$SP_PORT/procs/crash"
  [[ "$output" == *crashing* ]]
  wait_procs 's.processes.reduce((n, p) => n + p.restarts, 0)' 1 30
  wait_procs 's.processes.every((p) => p.state === "online")' true 30
  sleep 1
  load_finish "$SP_TMP/stop-crash"
  # A new commit: both web instances (and the worker) are replaced under load.
  before=$(procs_field 's.processes.map((p) => p.container).join(" ")')
  LOAD_STOP_FILE="$SP_TMP/stop-roll" load_start 90 /procs/
  sleep 1
  sed -i "s/'procs v1'/'procs v2'/" "$SP_WORK/procs/server.js"
  sed -i "s/RELEASE-MARK v1/RELEASE-MARK v2/" "$SP_WORK/procs/release.js"
  sp_commit procs "v2" >/dev/null
  run sp_wait_body /procs/ "^procs v2 web\.[12]$" 120
  [ "$status" -eq 0 ]
  wait_procs 's.processes.map((p) => `${p.type}.${p.instance}=${p.state}`).join(" ")' "web.1=online web.2=online worker.1=online" 30
  sleep 2
  load_finish "$SP_TMP/stop-roll"
  after=$(procs_field 's.processes.map((p) => p.container).join(" ")')
  for c in $before; do [[ " $after " != *" $c "* ]]; done
  [ "$(logs_json | grep -c '"line":"RELEASE-MARK v2 as release"')" -eq 1 ]
}

@test "PROCESSES worker=0 stops the worker at once (no drain wait); the web instances keep serving" {
  worker=$(procs_field 's.processes.find((p) => p.type === "worker").container')
  sp_orders procs 3000 procs 'export PROCESSES="web=2 worker=0"'
  sp_commit hq "no worker" >/dev/null
  wait_procs 's.processes.map((p) => `${p.type}.${p.instance}`).join(" ")' "web.1 web.2" 60
  # Stopped with its grace, not kept for the 30 s a web instance drains.
  for _ in $(seq 1 40); do
    sp_containers | grep -qx "$worker" || break
    sleep 0.5
  done
  run sp_containers
  [[ "$output" != *"$worker"* ]]
  run sp_wait_body /procs/ "^procs v2 web\.[12]$" 10
  [ "$status" -eq 0 ]
}

@test "a release phase that fails keeps the serving release under load, and status names its cause" {
  serving=$(procs_field 's.container')
  LOAD_STOP_FILE="$SP_TMP/stop-release" load_start 60 /procs/
  sleep 1
  printf '%s\n' "console.error('RELEASE-FAIL: migration 7 cannot run'); process.exit(4);" >"$SP_WORK/procs/release.js"
  sed -i "s/'procs v2'/'procs v3'/" "$SP_WORK/procs/server.js"
  sp_commit procs "v3: a failing release phase" >/dev/null
  wait_procs 's.failedCommit !== null && s.error.includes("release phase")' true 120
  run procs_field 's.error'
  echo "$output"
  [[ "$output" == *"release phase"*"exited with status 4"*"RELEASE-FAIL: migration 7 cannot run"* ]]
  [ "$(procs_field 's.container')" = "$serving" ]
  run curl -s "http://127.0.0.1:$SP_PORT/procs/"
  [[ "$output" == "procs v2 "* ]]
  load_finish "$SP_TMP/stop-release"
}

@test "run: a one-off command in a fresh container with the service's secrets; its exit status; no container left" {
  "$STARPHLEET" init test --headquarters "file://$SP_REPOS/hq.git" --root "$SP_ROOT" >/dev/null
  run "$STARPHLEET" set SOME_SECRET 'one-off-sekrit' --no-restart
  [ "$status" -eq 0 ]
  before=$(sp_containers | sort)
  run "$STARPHLEET" run /procs --root "$SP_ROOT" -- sh -c 'echo "secret=$SOME_SECRET dyno=$DYNO"; exit 3'
  echo "$output"
  [ "$status" -eq 3 ]
  [[ "$output" == *"secret=one-off-sekrit dyno=run."* ]]
  [ "$(sp_containers | sort)" = "$before" ]
  run "$STARPHLEET" run /nowhere --root "$SP_ROOT" -- true
  [ "$status" -eq 1 ]
  [[ "$output" == *"no service at /nowhere"* ]]
  run "$STARPHLEET" run /procs --root "$SP_ROOT"
  [ "$status" -eq 2 ]
}

@test "releases --json: every release with what changed and its outcome; the serving one marked" {
  run "$STARPHLEET" releases /procs --root "$SP_ROOT" --json
  echo "$output"
  [ "$status" -eq 0 ]
  echo "$output" | node -e '
    const d = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const r = d.services[0].releases;
    const brief = r.map((x) => `${x.number}:${x.changed.join("+")}:${x.outcome}${x.serving ? ":serving" : ""}`).join(" ");
    const want = "1:code+orders:superseded 2:orders:superseded 3:code:superseded 4:orders:live:serving 5:code:failed";
    if (brief !== want) throw new Error(brief);
    if (!/release phase/.test(r[4].cause)) throw new Error(r[4].cause);
    if (r.some((x) => !/^[0-9a-f]{40}$/.test(x.commit) || isNaN(Date.parse(x.at)))) throw new Error("commit/at");
  '
  # The dashboard shows the same history.
  token=$(cat "$SP_ROOT/dashboard.token")
  curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$SP_PORT/starphleet/api/releases" | node -e '
    const d = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const r = d.services.find((s) => s.path === "/procs").releases;
    if (r.length !== 5 || !r[3].serving || r[4].outcome !== "failed") throw new Error(JSON.stringify(r));
  '
  run "$STARPHLEET" releases --root "$SP_ROOT"
  [[ "${lines[0]}" == "/procs" ]]
  [[ "${lines[1]}" == "  v5  "*"  code "*"failed: release phase"* ]]
  [[ "${lines[2]}" == "  v4  "*"serving" ]]
}
