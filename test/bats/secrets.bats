#!/usr/bin/env bats
# Environment layering and phleet secrets on one real ship: .env →
# .profile.d → orders → secrets; `set` rolls every service over with zero
# downtime; values arrive byte-exact; nothing leaks to files, logs or ps;
# replays, wrong keys and bad input are refused.

load helpers/ship

setup_file() {
  sp_init_ship
  export STARPHLEET_HOME="$SP_TMP/home"
  sp_repo envecho "$REPO_ROOT/test/fixtures/services/env-echo" >/dev/null
  sp_hq_init
  sp_orders envecho 3000 envecho "export BY_ORDERS=orders BY_SECRET=orders STARPHLEET_DRAINSTOP_WAIT=1"
  sp_commit hq "env-echo at /envecho" >/dev/null
  # HQ authorized_keys/ also makes an admiral user: a name of our own, removed at the end.
  export ADM="spsec$((RANDOM % 100000))"
  sp_start_ship --admiral "$ADM"
  sp_wait_body /envecho '"BY_ORDERS":"orders"' >/dev/null
  "$STARPHLEET" init test --headquarters "file://$SP_REPOS/hq.git" --root "$SP_ROOT" >"$SP_TMP/init.out"
}

teardown_file() {
  # A failed test may leave its bounded load and ps loops running: stop them
  # before the temp folder goes, so they do not write it again.
  if [ -n "${SP_TMP:-}" ] && [ -d "$SP_TMP" ]; then touch "$SP_TMP/stop-load"; sleep 0.5; fi
  sp_teardown_ship
  if [ -n "${ADM:-}" ]; then
    pkill -KILL -u "$ADM" 2>/dev/null || true
    userdel -r -f "$ADM" 2>/dev/null || true
    rm -f "/etc/sudoers.d/starphleet-$ADM"
  fi
}

# The serving container's name (from status --json).
serving() {
  "$STARPHLEET" status --root "$SP_ROOT" --json | node -e 'console.log(JSON.parse(require("fs").readFileSync(0,"utf8")).services[0].container)'
}

@test "init makes a profile with an ed25519 admiral key (0600) and enrolls it on the local ship; info never prints the private key" {
  cat "$SP_TMP/init.out"
  grep -q "ship $SP_ROOT: admiral key enrolled" "$SP_TMP/init.out"
  key="$STARPHLEET_HOME/phleets/test/admiral_key"
  [ "$(stat -c %a "$key")" = 600 ]
  head -n 1 "$key" | grep -q 'BEGIN OPENSSH PRIVATE KEY'
  [ "$(stat -c %a "$SP_ROOT/secrets/ship.key")" = 600 ]
  run "$STARPHLEET" info
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"headquarters: file://$SP_REPOS/hq.git"* ]]
  [[ "$output" == *"public key:   ssh-ed25519 "* ]]
  [[ "$output" == *"ship:         $SP_ROOT (ship key SHA256:"* ]]
  [[ "$output" != *PRIVATE* ]]
  [[ "$output" != *"$(sed -n 2p "$key")"* ]]
  # other commands find the ship through the profile too
  run "$STARPHLEET" status --phleet test
  [ "$status" -eq 0 ]
  [[ "$output" == *"/envecho"*"online"* ]]
  run "$STARPHLEET" status --phleet nosuch
  [ "$status" -eq 1 ]
  [[ "$output" == *"unknown phleet 'nosuch' (known: test)"* ]]
}

@test "layering: .env, then .profile.d, then orders; no secret yet" {
  run curl -s "http://127.0.0.1:$SP_PORT/envecho/"
  echo "$output"
  [[ "$output" == *'"LAYER_DOTENV":"dotenv"'* ]]
  [[ "$output" == *'"BY_PROFILE":"profile (after dotenv)"'* ]]
  [[ "$output" == *'"BY_ORDERS":"orders"'* ]]
  [[ "$output" == *'"BY_SECRET":"orders"'* ]]
  [[ "$output" == *'"PORT":"3000"'* ]]
  [[ "$output" == *'"leftovers":[]'* ]]
}

@test "set rolls the service over (new container, no rebuild) while the old one serves; the secret wins over orders" {
  before=$(serving)
  builds_before=$(grep -c 'building file://' "$SP_TMP/agent.log")
  # A bounded load loop across the rollover: every answer is 200, old or new value.
  (
    end=$((SECONDS + 60))
    while [ "$SECONDS" -lt "$end" ] && [ ! -f "$SP_TMP/stop-load" ]; do
      curl -s -o - -w ' %{http_code}\n' --max-time 5 "http://127.0.0.1:$SP_PORT/envecho/env/BY_SECRET" >>"$SP_TMP/load.log" || echo "curl-failed" >>"$SP_TMP/load.log"
      sleep 0.05
    done
  ) &
  load=$!
  # The host's process list, sampled all through the rollover: no argv ever holds the value.
  (
    end=$((SECONDS + 60))
    while [ "$SECONDS" -lt "$end" ] && [ ! -f "$SP_TMP/stop-load" ]; do
      ps -eo args >>"$SP_TMP/ps.samples"
      sleep 0.1
    done
  ) &
  sampler=$!
  sleep 0.5
  # From stdin, so that the value is in no argv (the CLI's own included).
  export SECRET_VALUE='secret-sekrit-41'
  run bash -c 'printf "%s" "$SECRET_VALUE" | "$0" set BY_SECRET -' "$STARPHLEET"
  unset SECRET_VALUE
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"set BY_SECRET in phleet test (version 1) on 1 ship; every service rolls over"* ]]
  run sp_wait_body /envecho/env/BY_SECRET '^secret-sekrit-41$' 90
  [ "$status" -eq 0 ]
  sleep 0.5
  touch "$SP_TMP/stop-load"
  wait "$load"
  wait "$sampler"
  [ "$(grep -c 'lxc-execute' "$SP_TMP/ps.samples")" -gt 0 ]
  [ "$(grep -c '[s]ekrit' "$SP_TMP/ps.samples")" -eq 0 ]
  sort "$SP_TMP/load.log" | uniq -c
  # (`! cmd` does not fail a bats test; count instead)
  [ "$(grep -c -v -E '^(orders|secret-sekrit-41) 200$' "$SP_TMP/load.log")" -eq 0 ]
  grep -q '^orders 200$' "$SP_TMP/load.log"
  # the old value stopped for good once the new one answered
  [ "$(sed -n "/^secret-sekrit-41 200$/,\$p" "$SP_TMP/load.log" | grep -c '^orders')" -eq 0 ]
  [ "$(grep -c '^secret-sekrit-41 200$' "$SP_TMP/load.log")" -gt 0 ]
  after=$(serving)
  [ "$before" != "$after" ]
  [ "$(grep -c 'building file://' "$SP_TMP/agent.log")" -eq "$builds_before" ]
  run curl -s "http://127.0.0.1:$SP_PORT/envecho/"
  [[ "$output" == *'"BY_ORDERS":"orders"'* && "$output" == *'"leftovers":[]'* ]]
}

@test "the build sees orders and secrets in ENV_DIR, on a tmpfs that is gone after the build" {
  # The nodejs buildpack exports ENV_DIR to the app's build script, which
  # records the filesystem type, a hash of the secret (never the value) and an orders export.
  sp_repo envbuild "$REPO_ROOT/test/fixtures/services/env-build" >/dev/null
  sp_orders packed 8000 envbuild "export BY_ORDERS=orders-for-build"
  sp_commit hq "add packed" >/dev/null
  run sp_wait_body /packed/envdir.txt 'tmpfs' 120
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = tmpfs ]
  [ "${lines[1]}" = "$(printf '%s' 'secret-sekrit-41' | sha256sum | cut -d' ' -f1)" ]
  [ "${lines[2]}" = orders-for-build ]
  [ -z "$(ls -A "$SP_ROOT/builds")" ]
  [ "$(grep -c " $SP_ROOT/" /proc/mounts)" -eq 0 ]
}

@test "a value with newlines, quotes, \$ and backslashes (from stdin) arrives byte-exact" {
  val=$'first line sekrit-multi-77\nit\'s "quoted" $HOME `date` \\ and \'\'\n\ttab\n'
  printf '%s' "$val" | "$STARPHLEET" set MULTI -
  sp_wait_body /envecho/env/MULTI 'sekrit-multi-77' 90 >/dev/null
  got=$(curl -s "http://127.0.0.1:$SP_PORT/envecho/env/MULTI"; echo .)
  [ "${got%.}" = "$val" ]
  # a value of exactly 64 KiB passes whole
  head -c 60000 /dev/urandom | base64 -w0 | head -c 65536 >"$SP_TMP/big"
  "$STARPHLEET" set BIG - <"$SP_TMP/big"
  for _ in $(seq 1 300); do
    [ "$(curl -s "http://127.0.0.1:$SP_PORT/envecho/env/BIG" | sha256sum)" = "$(sha256sum <"$SP_TMP/big")" ] && break
    sleep 0.3
  done
  [ "$(curl -s "http://127.0.0.1:$SP_PORT/envecho/env/BIG" | sha256sum)" = "$(sha256sum <"$SP_TMP/big")" ]
}

@test "secrets lists names and times, never values; status shows no value" {
  run "$STARPHLEET" secrets
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"BY_SECRET  set "*"(version 1)"* ]]
  [[ "$output" == *"MULTI  set "*"(version 2)"* ]]
  [[ "$output" == *"BIG  set "*"(version 3)"* ]]
  [[ "$output" != *sekrit* ]]
  run "$STARPHLEET" status --root "$SP_ROOT" --json
  [[ "$output" != *sekrit* ]]
}

@test "attach gives the command the app's environment, the secrets included, in override order" {
  run "$STARPHLEET" attach --root "$SP_ROOT" /envecho -- sh -c 'printf "%s|%s|%s\n" "$BY_SECRET" "$BY_ORDERS" "$PORT"'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "secret-sekrit-41|orders|3000" ]
}

@test "no plaintext anywhere: ship root (LXC configs and logs included), agent log, HOME profile, process list" {
  run grep -rlF 'sekrit' "$SP_ROOT" "$SP_TMP/agent.log" "$STARPHLEET_HOME"
  echo "$output"
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  # the values are there to be found: the set and the running app hold them
  [ "$(curl -s "http://127.0.0.1:$SP_PORT/envecho/env/BY_SECRET")" = "secret-sekrit-41" ]
  [ "$(ps -eo args | grep -c '[s]ekrit')" -eq 0 ]
  # they reach the container through a pipe: not in its config, nor in its supervisor's environment
  c=$(serving)
  grep -q '^lxc.log.level = WARN$' "$SP_ROOT/containers/$c/config"
  [ "$(grep -c -i secret "$SP_ROOT/containers/$c/config")" -eq 0 ]
  sup=$(cat "$SP_ROOT/run/supervisors/$c.pid")
  [ "$(tr '\0' '\n' <"/proc/$sup/environ" | grep -c sekrit)" -eq 0 ]
  [ ! -e "$SP_ROOT/containers/$c/env/secrets.env" ]
  [ "$(stat -c %a "$SP_ROOT/secrets/set.json")" = 600 ]
}

@test "--no-restart defers the change; a crash restart picks up the current secrets" {
  before=$(serving)
  run "$STARPHLEET" set BY_SECRET 'deferred-sekrit-5' --no-restart
  [ "$status" -eq 0 ]
  [[ "$output" == *"next start (--no-restart)"* ]]
  sleep 3
  [ "$(serving)" = "$before" ]
  [ "$(curl -s "http://127.0.0.1:$SP_PORT/envecho/env/BY_SECRET")" = "secret-sekrit-41" ]
  curl -s "http://127.0.0.1:$SP_PORT/envecho/crash" || true
  run sp_wait_body /envecho/env/BY_SECRET '^deferred-sekrit-5$' 60
  [ "$status" -eq 0 ]
  [ "$(serving)" = "$before" ]
}

@test "unset removes it (a rolling restart); a replayed set or a set replayed after its unset is refused" {
  msg() {
    node -e 'const s=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); const m=s.entries[process.argv[2]].message; console.log(JSON.stringify({cmd:"secrets-apply",payload:m.payload,signature:m.signature}))' "$SP_ROOT/secrets/set.json" "$1"
  }
  msg MULTI >"$SP_TMP/multi-set.json"
  run "$STARPHLEET" unset MULTI
  echo "$output"
  [ "$status" -eq 0 ]
  for _ in $(seq 1 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SP_PORT/envecho/env/MULTI")" = 404 ] && break
    sleep 0.3
  done
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SP_PORT/envecho/env/MULTI")" = 404 ]
  version=$("$STARPHLEET" info | grep -o 'set version [0-9]*')
  # The set of MULTI, replayed after its unset.
  run "$STARPHLEET" ship control --root "$SP_ROOT" <"$SP_TMP/multi-set.json"
  echo "$output"
  [[ "$output" == *'"ok":false'*"replayed or stale"*"MULTI was unset"* ]]
  # The latest message replayed as is.
  msg BY_SECRET | "$STARPHLEET" ship control --root "$SP_ROOT" >"$SP_TMP/replay.out"
  grep -q 'replayed or stale' "$SP_TMP/replay.out"
  [ "$("$STARPHLEET" info | grep -o 'set version [0-9]*')" = "$version" ]
  run "$STARPHLEET" unset MULTI
  [ "$status" -eq 1 ]
  [[ "$output" == *"MULTI is not set"* ]]
}

# signed_by KEY PAYLOAD: a secrets-apply request line, PAYLOAD signed with KEY (ssh-keygen -Y sign).
signed_by() {
  printf '%s' "$2" >"$SP_TMP/payload"
  ssh-keygen -q -Y sign -f "$1" -n starphleet-secrets "$SP_TMP/payload" >/dev/null 2>&1
  node -e 'const fs = require("fs"); console.log(JSON.stringify({ cmd: "secrets-apply", payload: fs.readFileSync(process.argv[1], "utf8"), signature: fs.readFileSync(process.argv[1] + ".sig", "utf8") }))' "$SP_TMP/payload"
  rm -f "$SP_TMP/payload.sig"
}

@test "a message signed by a key the ship does not trust is refused and changes nothing; trusted once in the HQ's authorized_keys/" {
  # A second phleet profile made with no ship reachable: its key is enrolled nowhere.
  run env STARPHLEET_ROOT="$SP_TMP/no-ship" "$STARPHLEET" init rogue --headquarters "file://$SP_REPOS/hq.git"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"not enrolled"* ]]
  version=$("$STARPHLEET" info --phleet test | grep -o 'set version [0-9]*')
  # Sent straight to the control socket (no enrollment on the way), signed by that key.
  payload='{"v":1,"op":"unset","name":"ROGUE","version":999,"at":"2026-12-02T00:00:00Z","ship":"SHA256:another-ship","restart":false}'
  run "$STARPHLEET" ship control --root "$SP_ROOT" <<<"$(signed_by "$STARPHLEET_HOME/phleets/rogue/admiral_key" "$payload")"
  echo "$output"
  [[ "$output" == *"not signed by an admiral key this ship trusts"* ]]
  [ "$("$STARPHLEET" info --phleet test | grep -o 'set version [0-9]*')" = "$version" ]
  # Trust it through the headquarters: the signature passes, the message is then checked (another ship's).
  mkdir -p "$SP_WORK/hq/authorized_keys"
  cp "$STARPHLEET_HOME/phleets/rogue/admiral_key.pub" "$SP_WORK/hq/authorized_keys/rogue.pub"
  sp_commit hq "trust rogue" >/dev/null
  "$STARPHLEET" nudge --wait 30 --root "$SP_ROOT"
  run "$STARPHLEET" ship control --root "$SP_ROOT" <<<"$(signed_by "$STARPHLEET_HOME/phleets/rogue/admiral_key" "$payload")"
  echo "$output"
  [[ "$output" == *"secret message is for another ship (SHA256:another-ship)"* ]]
  [ "$("$STARPHLEET" info --phleet test | grep -o 'set version [0-9]*')" = "$version" ]
}

@test "init before the ship runs, then set: root on the ship enrolls the key through its control socket; init again finds it trusted; another headquarters is refused" {
  run env STARPHLEET_ROOT="$SP_TMP/no-ship" "$STARPHLEET" init late --headquarters "file://$SP_REPOS/hq.git"
  [ "$status" -eq 0 ]
  [[ "$output" == *"not enrolled"* ]]
  run "$STARPHLEET" set --phleet late --root "$SP_ROOT" LATE 'v' --no-restart
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"set LATE in phleet late"* ]]
  run "$STARPHLEET" init late --headquarters "file://$SP_REPOS/hq.git" --root "$SP_ROOT"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"phleet late exists"*"ship $SP_ROOT: admiral key already trusted"* ]]
  "$STARPHLEET" unset --phleet late --root "$SP_ROOT" LATE --no-restart
  run "$STARPHLEET" init late --headquarters "file://$SP_REPOS/other.git" --root "$SP_ROOT"
  [ "$status" -eq 1 ]
  [[ "$output" == *"already exists"*"with headquarters file://$SP_REPOS/hq.git"* ]]
}

@test "bad input: names, PORT, 64 KiB, unknown phleet, no ship — clear errors, nothing changed" {
  version=$("$STARPHLEET" info --phleet test | grep -o 'set version [0-9]*')
  run "$STARPHLEET" set --phleet test 1BAD x
  [ "$status" -eq 2 ]
  [[ "$output" == *"secret name '1BAD' is not valid"* ]]
  run "$STARPHLEET" set --phleet test PORT 1
  [ "$status" -eq 2 ]
  [[ "$output" == *"PORT cannot be set by a secret"* ]]
  run bash -c "head -c 65537 /dev/zero | tr '\\0' a | '$STARPHLEET' set --phleet test BIG -"
  [ "$status" -eq 2 ]
  [[ "$output" == *"at most 65536 bytes (64 KiB)"* ]]
  run "$STARPHLEET" set --phleet nosuch X y
  [ "$status" -eq 1 ]
  [[ "$output" == *"unknown phleet 'nosuch' (known: late, rogue, test)"* ]]
  run "$STARPHLEET" set --phleet test --root "$SP_TMP/no-ship" X y
  [ "$status" -eq 1 ]
  [[ "$output" == *"ship $SP_TMP/no-ship: no ship agent is running"*"; set X: nothing changed"* ]]
  run "$STARPHLEET" set X
  [ "$status" -eq 2 ]
  [ "$("$STARPHLEET" info --phleet test | grep -o 'set version [0-9]*')" = "$version" ]
}

@test "balancer for a phleet whose ship was remembered by init --root: named after its root, at the port it serves" {
  run "$STARPHLEET" balancer --phleet test --listen 127.0.0.1:1
  echo "$output"
  [ "$status" -eq 0 ]
  name=$(printf %s "$SP_ROOT" | sed 's#[^A-Za-z0-9_.-][^A-Za-z0-9_.-]*#-#g; s#^[^A-Za-z0-9]*##')
  [[ "$output" == *"server 127.0.0.1:$SP_PORT max_fails=1 fail_timeout=5s;  # $name"* ]]
}

@test "remove ship forgets a local ship (remembered by init --root) once its agent is gone; a running one is refused" {
  run "$STARPHLEET" remove ship --phleet test "$SP_ROOT"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"is the local ship and its agent runs"* ]]
  # Last test of the file: stop the agent (teardown removes the rest).
  kill "$(cat "$SP_TMP/agent.pid")"
  for _ in $(seq 1 50); do kill -0 "$(cat "$SP_TMP/agent.pid")" 2>/dev/null || break; sleep 0.1; done
  run "$STARPHLEET" remove ship --phleet test "$SP_ROOT"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"ship $SP_ROOT (local, no agent running) forgotten by phleet test"* ]]
  [ -d "$SP_ROOT" ]
  run "$STARPHLEET" remove ship --phleet test "$SP_ROOT"
  [ "$status" -eq 1 ]
  [[ "$output" == *"no ship '$SP_ROOT' in phleet test (ships: none)"* ]]
}
