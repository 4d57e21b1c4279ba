#!/usr/bin/env bats
# Logs, status and attach on a real ship: two services from one logger app.
# `logs --follow` sees new lines of the right service only; --grep filters;
# a flood keeps the ring at its bound (and the agent's RSS); a quiet agent
# gives back its binary's pages; both versions'
# lines show during a rollover; bad input exits 1 or 2; `attach` runs a
# command in the serving container, with a pty when there is a terminal.

load helpers/ship

setup_file() {
  sp_init_ship
  sp_repo logger "$REPO_ROOT/test/fixtures/services/node-logger" >/dev/null
  sp_hq_init
  sp_orders log 3000 logger "export STARPHLEET_DRAINSTOP_WAIT=4"
  sp_orders other 3000 logger
  sp_commit hq "two loggers" >/dev/null
  # The line bound governs here (5000 flood lines weigh under 1 MiB); the
  # byte budget's own bound is tested in test/ts/logs/ring.test.ts.
  # A quiet spell of 3 s (not 30) before the agent gives back its binary's
  # pages; the agent runs from a copy of the binary of its own: pages another
  # process maps (this file's CLI calls, other files' agents) are never handed
  # back, and the trim's test would measure them.
  cp "$STARPHLEET" "$SP_TMP/starphleet-agent"
  STARPHLEET="$SP_TMP/starphleet-agent" STARPHLEET_LOG_LINES=5000 STARPHLEET_LOG_RING_BYTES=2097152 STARPHLEET_TRIM_QUIET_SECONDS=3 sp_start_ship
  sp_wait_body /log "logger v1" 120 >/dev/null
  sp_wait_body /other "logger v1" 120 >/dev/null
}

teardown_file() {
  sp_teardown_ship
}

# sp COMMAND ARGS...: the command on this test's ship (--root goes first, before any "--").
sp() {
  "$STARPHLEET" "$1" --root "$SP_ROOT" "${@:2}"
}

# wait_file FILE PATTERN [SECONDS]
wait_file() {
  local deadline=$((SECONDS + ${3:-20}))
  while [ "$SECONDS" -lt "$deadline" ]; do
    grep -qE "$2" "$1" && return 0
    sleep 0.2
  done
  echo "timed out waiting for '$2' in $1:" >&2
  tail -n 20 "$1" >&2
  return 1
}

# wait_logged REGEX [SERVICE]: until a line matching REGEX is in the ship's logs (the follower polls).
wait_logged() {
  for _ in $(seq 1 100); do
    sp logs ${2:+"$2"} --lines 1 --grep "$1" | grep -q . && return 0
    sleep 0.2
  done
  echo "no log line matching '$1' within 20 s" >&2
  return 1
}

@test "logs --follow shows a line written after it started, for the right service only" {
  sp logs /log --follow >"$SP_TMP/follow.out" 2>&1 &
  pid=$!
  sleep 1
  curl -fsS "http://127.0.0.1:$SP_PORT/other/say?m=MARK-OTHER-1" >/dev/null
  curl -fsS "http://127.0.0.1:$SP_PORT/log/say?m=MARK-LOG-1" >/dev/null
  wait_file "$SP_TMP/follow.out" 'MARK-LOG-1'
  # /other's line was written first; a second later it still has not appeared.
  sleep 1
  kill "$pid"
  wait "$pid" || true
  run grep -c 'MARK-OTHER' "$SP_TMP/follow.out"
  [ "$output" = 0 ]
  grep -E '^[0-9T:.-]+Z /log log-[0-9a-f]{6}--[0-9a-f]{8}-[0-9]+ web\.1 app: MARK-LOG-1$' "$SP_TMP/follow.out"
  # The ship's JSON-lines sink (the agent's stdout) carries the same line.
  grep '"service":"/log"' "$SP_TMP/agent.log" | grep '"source":"app"' | grep -q '"line":"MARK-LOG-1"'
}

@test "--grep filters, --lines bounds, stderr is labelled, the whole ship is the default" {
  curl -fsS "http://127.0.0.1:$SP_PORT/log/err?m=GREP-ME-stderr" >/dev/null
  curl -fsS "http://127.0.0.1:$SP_PORT/other/say?m=GREP-ME-other" >/dev/null
  wait_logged 'GREP-ME-stderr$' /log
  wait_logged 'GREP-ME-other$' /other
  run sp logs /log --grep 'GREP-ME'
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "${lines[0]}" == *" /log "*" app/stderr: GREP-ME-stderr" ]]
  run sp logs --grep 'GREP-ME-(stderr|other)$'
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 2 ]
  # The logger ticks once a second: with more than 3 ticks logged, --lines 3 gives 3.
  for _ in $(seq 1 100); do
    [ "$(sp logs /log --lines 100 --grep '^tick' | wc -l)" -gt 3 ] && break
    sleep 0.2
  done
  run sp logs /log --lines 3 --grep '^tick'
  [ "${#lines[@]}" -eq 3 ]
  run sp logs --json --lines 1 --grep 'GREP-ME-other'
  node -e 'const r=JSON.parse(process.argv[1]); if (r.service!=="/other"||r.source!=="app"||r.stream!=="stdout"||!r.container||!r.ship||!r.time) process.exit(1)' "$output"
  run sp logs /log --grep 'GREP-ME' --since 1h
  [ "${#lines[@]}" -eq 1 ]
}

@test "logs --follow into a pipe ends when its reader does, even when no other line comes (grep -m1)" {
  curl -fsS "http://127.0.0.1:$SP_PORT/log/say?m=PIPE-END-MARK" >/dev/null
  wait_logged '^PIPE-END-MARK$' /log
  # The tail brings the line at once; grep exits; nothing more matches, so
  # only noticing the pipe's reader is gone can end the follower.
  run timeout 30 bash -c '"$0" logs --root "$1" --follow /log --grep "^PIPE-END-MARK$" | grep -m1 -q PIPE-END-MARK' "$STARPHLEET" "$SP_ROOT"
  [ "$status" -eq 0 ]
  ! pgrep -f "logs --root $SP_ROOT --follow /log --grep" >/dev/null
}

@test "unknown service exits 1, bad regex and bad options exit 2" {
  run sp logs /nope
  [ "$status" -eq 1 ]
  [[ "$output" == *"no service at /nope"* ]]
  run sp logs /nope --follow
  [ "$status" -eq 1 ]
  run sp logs /log --grep '(unclosed'
  [ "$status" -eq 2 ]
  [[ "$output" == *"--grep is not a valid regular expression"* ]]
  run sp logs /log --lines many
  [ "$status" -eq 2 ]
  run sp logs /log --since yesterday
  [ "$status" -eq 2 ]
}

@test "a 40 KiB line is split into 16 KiB pieces, binary is escaped" {
  curl -fsS "http://127.0.0.1:$SP_PORT/log/long" >/dev/null
  curl -fsS "http://127.0.0.1:$SP_PORT/log/binary" >/dev/null
  wait_logged 'BIN:.*:END$' /log
  run sp logs /log --json --grep 'LONG|^y+(END)?$|BIN:'
  echo "$output" | node -e '
    const recs = require("fs").readFileSync(0, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const text = recs.filter((r) => !r.line.startsWith("BIN:")).map((r) => r.line);
    if (text.length !== 3) throw new Error("want 3 pieces, got " + text.length);
    if (text.some((l) => Buffer.byteLength(l) > 16384)) throw new Error("a piece is over 16 KiB");
    if (text.join("") !== "LONG" + "y".repeat(40000) + "END") throw new Error("pieces do not add up to the line");
    const bin = recs.find((r) => r.line.startsWith("BIN:"));
    if (!bin || bin.line !== "BIN:\\x00\\x01\\x1b\\xff\\xfe:é:END") throw new Error("binary: " + JSON.stringify(bin));
  '
}

@test "two floods of 30 000 lines: the ring stays at its bound, the agent's RSS does not keep growing, the other service is unaffected" {
  rings() { echo '{"cmd":"log-rings","gc":true}' | "$STARPHLEET" ship control --root "$SP_ROOT"; }
  # flood N: the service writes N lines flat out; wait until the follower has read the last one.
  flood() {
    curl -fsS --max-time 60 "http://127.0.0.1:$SP_PORT/log/flood?n=$1" >/dev/null
    local start
    start=$(date +%s%N)
    curl -fsS --max-time 5 "http://127.0.0.1:$SP_PORT/other/" | grep -q "logger v1"
    echo "# /other answered in $(( ($(date +%s%N) - start) / 1000000 )) ms right after a flood" >&3
    for _ in $(seq 1 100); do
      sp logs /log --lines 1 --grep "^flood $1 of $1 " | grep -q flood && return 0
      sleep 0.2
    done
    return 1
  }
  before=$(rings)
  flood 30000
  after1=$(rings)
  flood 30001
  after2=$(rings)
  node -e '
    const [b, a1, a2] = process.argv.slice(1).map((x) => JSON.parse(x));
    const mib = (n) => (n / 1048576).toFixed(1);
    console.log(`# agent RSS ${mib(b.rssBytes)} MiB -> ${mib(a1.rssBytes)} MiB after one flood -> ${mib(a2.rssBytes)} MiB after two; kept ${JSON.stringify(a2.rings)}`);
    if (a2.ringLines !== 5000) throw new Error("ring size not from STARPHLEET_LOG_LINES");
    if (a2.emitted - b.emitted < 60001) throw new Error("not all flood lines went through: " + (a2.emitted - b.emitted));
    if (a1.rings.services["/log"] !== 5000 || a2.rings.services["/log"] !== 5000) throw new Error("service ring over its bound");
    if (a2.rings.ship > 5000) throw new Error("ship ring holds " + a2.rings.ship);
    if (!(a2.ringBytes.ship > 0) || a2.ringBytes.ship > 4 * 1048576) throw new Error("ship ring weighs " + a2.ringBytes.ship);
    if (a2.rssBytes - a1.rssBytes > 32 * 1048576) throw new Error("agent RSS kept growing: +" + mib(a2.rssBytes - a1.rssBytes) + " MiB on the second flood");
  ' "$before" "$after1" "$after2" >&3
  run sp logs /log --lines 100000
  [ "${#lines[@]}" -eq 5000 ]
}

@test "a quiet agent (the compiled binary, its JIT off) gives back its binary's pages" {
  # The trim runs once no version has been in flight for 3 s (setup_file):
  # the starphleet-pageout helper advises the agent's own mappings of its
  # binary, and its file-backed RSS falls at once.
  trim=null
  for _ in $(seq 1 60); do
    trim=$(echo '{"cmd":"log-rings"}' | "$STARPHLEET" ship control --root "$SP_ROOT" | node -e 'console.log(JSON.stringify(JSON.parse(require("fs").readFileSync(0, "utf8")).memoryTrim))')
    [ "$trim" != null ] && break
    sleep 0.5
  done
  [ "$trim" != null ] || { echo "no trim within 30 s" >&2; false; }
  node -e '
    const t = JSON.parse(process.argv[1]);
    const mib = (n) => (n / 1048576).toFixed(1);
    console.log(`# advised ${mib(t.advisedBytes)} MiB; file-backed RSS ${mib(t.rssFileBeforeBytes)} -> ${mib(t.rssFileAfterBytes)} MiB`);
    if (!(t.advisedBytes >= 50 * 1048576)) throw new Error("the binary mappings were not advised: " + t.advisedBytes);
    if (!(t.rssFileAfterBytes < t.rssFileBeforeBytes / 2)) throw new Error("the file-backed RSS did not fall");
  ' "$trim" >&3
}

@test "a --follow reader that does not read: the agent drops lines for it with a gap record, the CLI does not buffer them" {
  # The reader is a pipe nobody drains until the agent has taken in the whole
  # flood (its last line is in the ring); only then does the reader start.
  # No sleeps decide the outcome: 200 000 records are far past the agent's
  # 8 MiB queue for one reader, so some must be dropped and counted.
  ( "$STARPHLEET" logs --root "$SP_ROOT" --follow /log |
      { while [ ! -e "$SP_TMP/slow-reader.go" ]; do sleep 0.2; done; cat; } >"$SP_TMP/slow-reader.out" ) &
  reader=$!
  cli=""
  for _ in $(seq 1 50); do
    cli=$(pgrep -f "logs --root $SP_ROOT --follow /log" | head -n 1) && [ -n "$cli" ] && break
    sleep 0.1
  done
  [ -n "$cli" ]
  # The follower must be subscribed before the flood starts.
  sleep 1
  curl -fsS --max-time 90 "http://127.0.0.1:$SP_PORT/log/flood?n=200000" >/dev/null
  in_ring=""
  for _ in $(seq 1 300); do
    sp logs /log --lines 1 --grep "^flood 200000 of 200000 " | grep -q flood && { in_ring=yes; break; }
    sleep 0.2
  done
  [ -n "$in_ring" ] || { echo "the flood's last line never reached the agent" >&2; false; }
  kill -0 "$cli" || { echo "the stalled CLI exited before its reader read anything" >&2; false; }
  rss_kib=$(awk '/^VmRSS/ {print $2}' "/proc/$cli/status")
  echo "# the stalled CLI's RSS: $((rss_kib / 1024)) MiB after a 200 000-line flood" >&3
  [ "$rss_kib" -lt $((200 * 1024)) ]
  touch "$SP_TMP/slow-reader.go"
  # Wait for this reader's own gap record, sent once it caught up: a gap for
  # lines the agent itself could not read in time (the flood rotated the
  # supervisor's file faster than it was read) can come earlier in the queue.
  wait_file "$SP_TMP/slow-reader.out" "\[gap\] [0-9]+ log lines? dropped: this reader fell behind" 60
  kill "$cli" 2>/dev/null || true
  wait "$reader" 2>/dev/null || true
  kept=$(grep -c "flood [0-9]* of 200000 " "$SP_TMP/slow-reader.out" || true)
  dropped=$(grep -o "\[gap\] [0-9]* log lines\? dropped" "$SP_TMP/slow-reader.out" | awk '{n += $2} END {print n + 0}')
  echo "# the stalled reader got $kept flood lines and gap records for $dropped dropped" >&3
  [ "$kept" -lt 200000 ]
  [ "$dropped" -gt 0 ]
  # Every flood line was either delivered or counted in a gap record.
  [ $((kept + dropped)) -ge 200000 ]
}

@test "status: state, serving commit and container, health, uptime, memory, restarts" {
  run sp status --json
  [ "$status" -eq 0 ]
  echo "$output" | node -e '
    const d = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const s = d.services.find((x) => x.path === "/log");
    const need = (c, m) => { if (!c) throw new Error(m + ": " + JSON.stringify(s)); };
    need(s.state === "online", "state");
    need(/^[0-9a-f]{40}$/.test(s.servingCommit) && s.container, "serving");
    need(s.uptimeSeconds >= 0, "uptime");
    need(s.memoryBytes > 1024 * 1024, "memory from the cgroup");
    need(s.health && s.health.ok === true && !isNaN(Date.parse(s.health.checkedAt)), "health");
    need(s.restarts === 0 && s.error === null, "restarts/error");
    need(s.containers.some((c) => c.name === s.container && c.state === "online"), "containers");
  '
  run sp status
  [[ "$output" =~ /log\ +online\ .*up=[0-9]+.*mem=[0-9.]+M\ +health=ok@ ]]
}

@test "attach runs a command in the serving container as the app, exit status passed through" {
  run sp attach /log -- sh -c 'echo "inside uid=$(id -u) pwd=$PWD port=$PORT"; exit 7'
  [ "$status" -eq 7 ]
  [[ "$output" == *"inside uid=10000 pwd=/app port=3000"* ]]
  # On a terminal: a pty of the terminal's size (script gives us one).
  run script -qec "stty rows 33 cols 101; $STARPHLEET attach --root $SP_ROOT /log -- sh -c 'stty size; test -t 0 && echo on-a-tty; exit 3'" /dev/null
  [ "$status" -eq 3 ]
  [[ "$output" == *"33 101"* ]]
  [[ "$output" == *"on-a-tty"* ]]
  run sp attach /nope -- true
  [ "$status" -eq 1 ]
  run sp attach
  [ "$status" -eq 2 ]
  # A trailing slash names the same service, as in a URL.
  run sp attach /log/ -- true
  [ "$status" -eq 0 ]
  run sp logs /log/ --lines 1
  [ "$status" -eq 0 ]
}

@test "a container finds its own name in its /etc/hosts (no DNS wait: Python's http.server looks it up)" {
  run sp attach /log -- sh -c 'getent hosts "$(hostname)"'
  echo "$output"
  [ "$status" -eq 0 ]
  ip=$(sp status --json | node -e 'const d = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(d.services.find((s) => s.path === "/log").ip)')
  [[ "$output" == "$ip "*"log-"* ]]
}

@test "attach with no command and a script on stdin runs it as a script: no prompt, no job-control noise" {
  run bash -c "printf 'echo port=\$PORT\nexit 4\n' | $STARPHLEET attach --root $SP_ROOT /log 2>&1"
  echo "$output"
  [ "$status" -eq 4 ]
  [ "$output" = "port=3000" ]
}

@test "during a rollover --follow shows both versions' lines, labelled by container" {
  sp logs /log --follow --grep '^tick' >"$SP_TMP/roll.out" 2>&1 &
  pid=$!
  sed -i "s/logger v1/logger v2/" "$SP_WORK/logger/server.js"
  sp_commit logger "v2" >/dev/null
  sp_wait_body /log "logger v2" 120 >/dev/null
  wait_file "$SP_TMP/roll.out" 'tick logger v2'
  # The old version drains for 4 s: it keeps ticking after the new one started.
  sleep 2.5
  kill "$pid"
  wait "$pid" || true
  v1=$(grep 'tick logger v1' "$SP_TMP/roll.out" | awk '{print $3}' | sort -u)
  v2=$(grep 'tick logger v2' "$SP_TMP/roll.out" | awk '{print $3}' | sort -u)
  [ -n "$v1" ] && [ -n "$v2" ]
  [ "$v1" != "$v2" ]
  last_v1=$(grep -n 'tick logger v1' "$SP_TMP/roll.out" | tail -1 | cut -d: -f1)
  first_v2=$(grep -n 'tick logger v2' "$SP_TMP/roll.out" | head -1 | cut -d: -f1)
  [ "$last_v1" -gt "$first_v2" ]
}

@test "a removed container's log file goes with it; a new container never shows an old log of the same name" {
  # The rollover above drained /log's first container (4 s): its log goes with it.
  deadline=$((SECONDS + 40))
  while :; do
    orphans=""
    for f in "$SP_ROOT"/logs/*.log; do
      name=$(basename "$f" .log)
      case "$name" in build-*) continue ;; esac
      [ -d "$SP_ROOT/containers/$name" ] || orphans="$orphans $name"
    done
    [ -z "$orphans" ] && break
    [ "$SECONDS" -lt "$deadline" ] || { echo "logs of removed containers left:$orphans" >&2; return 1; }
    sleep 0.5
  done
  # After `ship down` the container sequence starts over, so a new container
  # can get an old one's name: its log must start empty.
  seq=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).seq)' "$SP_ROOT/state.json")
  other=$(sp status --json | node -e 'const d=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(d.services.find(s=>s.path==="/other").container)')
  next="${other%-*}-$((seq + 1))"
  printf '%s 1 stdout stale line of an old container\n' "$(date -u +%Y-%m-%dT%H:%M:%S.000Z)" >"$SP_ROOT/logs/$next.log"
  sp_orders other 3000 logger "export STALE_CHECK=1"
  sp_commit hq "other: new orders" >/dev/null
  run sp_wait_status "^/other +online .*$next" 60
  [ "$status" -eq 0 ]
  wait_logged "^tick" /other
  run sp logs /other --lines 5000
  [[ "$output" == *"$next"* ]]
  [[ "$output" != *"stale line of an old container"* ]]
}

@test "logs --follow says so and exits 1 when the agent goes away; stopped by a signal it exits 0" {
  "$STARPHLEET" logs --root "$SP_ROOT" --follow >"$SP_TMP/f1.out" 2>&1 &
  f1=$!
  "$STARPHLEET" logs --root "$SP_ROOT" --follow >"$SP_TMP/f2.out" 2>&1 &
  f2=$!
  sleep 1
  kill -TERM "$f2"
  wait "$f2"
  kill -TERM "$(cat "$SP_TMP/agent.pid")"
  rc=0
  wait "$f1" || rc=$?
  cat "$SP_TMP/f1.out" | tail -2
  [ "$rc" -eq 1 ]
  grep -q "the ship agent ended the log stream" "$SP_TMP/f1.out"
  sp_start_ship
}
