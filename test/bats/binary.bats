#!/usr/bin/env bats
# The compiled binary, copied alone into an empty directory, is the whole
# product: it answers --help and serves a headquarters end to end (a Python
# service at / and a Procfile service at /proc, built by their buildpacks).

load helpers/ship

setup_file() {
  sp_init_ship
  mkdir "$SP_TMP/bin"
  cp "$REPO_ROOT/dist/starphleet" "$SP_TMP/bin/starphleet"
  export STARPHLEET="$SP_TMP/bin/starphleet"
  sp_repo python "$REPO_ROOT/examples/services/python-hello" >/dev/null
  sp_repo proc "$REPO_ROOT/examples/services/procfile-hello" >/dev/null
  sp_hq_init
  sp_orders "" 5000 python
  sp_orders proc 4000 proc
  sp_commit hq "python at /, procfile at /proc" >/dev/null
}

teardown_file() {
  sp_teardown_ship
}

@test "the binary alone answers --help, help CMD and version, and exits 2 on bad usage" {
  [ "$(ls "$SP_TMP/bin")" = "starphleet" ]
  cd "$SP_TMP/bin"
  run env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin ./starphleet --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"ship run"* ]]
  [[ "$output" == *"status"* ]]
  run ./starphleet help status
  [ "$status" -eq 0 ]
  [[ "$output" == *"usage: starphleet status"* ]]
  run ./starphleet version
  [[ "$output" =~ ^starphleet\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
  run ./starphleet frobnicate
  [ "$status" -eq 2 ]
  [[ "$output" == *"unknown command 'frobnicate'"* ]]
  run ./starphleet status --bogus
  [ "$status" -eq 2 ]
  run ./starphleet status --root "$SP_TMP/nowhere"
  [ "$status" -eq 1 ]
  [[ "$output" == *"no ship agent is running"* ]]
  # A root that is not there (a typo) is not created by a command that only reads it.
  [ ! -e "$SP_TMP/nowhere" ]
}

@test "the binary alone serves a Python and a Procfile service end to end" {
  cd "$SP_TMP/bin"
  # No checkout anywhere near: the binary unpacks its own scripts, packs and templates.
  PATH=/usr/sbin:/usr/bin:/sbin:/bin sp_start_ship
  run sp_wait_body / "Hello from Starphleet \(Python 3" 120
  [ "$status" -eq 0 ]
  run sp_wait_body /proc "Procfile says hello from Starphleet" 120
  [ "$status" -eq 0 ]
  ls "$SP_ROOT"/assets/*/lib/sh/container/app-start
  ls "$SP_ROOT"/assets/*/buildpacks/python/bin/compile
  run grep -h 'app detected' "$SP_TMP/agent.log"
  [[ "$output" == *"Python app detected"* ]]
  [[ "$output" == *"detected"* ]]
}

@test "status names the buildpack-built services online" {
  run "$STARPHLEET" status --root "$SP_ROOT"
  [ "$status" -eq 0 ]
  [[ "$output" == *"/proc"*"online"* ]]
  [[ "$output" =~ (^|$'\n')/\ +online ]]
}
