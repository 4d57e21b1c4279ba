#!/usr/bin/env bats
# Command-line edges a new user meets (found by trying the product from the
# outside): no ship needed, only the compiled binary (and, for a ship that
# cannot start, a bridge that must not stay).

setup() {
  REPO_ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
  STARPHLEET="$REPO_ROOT/dist/starphleet"
  TMP_ROOT=$(mktemp -d /tmp/starphleet-cli-edges.XXXXXX)
}

teardown() {
  rm -rf "$TMP_ROOT"
}

@test "ship down on a root that holds no ship says so instead of claiming nginx stopped" {
  run "$STARPHLEET" ship down --root "$TMP_ROOT/typo"
  [ "$status" -eq 0 ]
  [[ "$output" == "no ship at $TMP_ROOT/typo: nothing to do" ]]
}

@test "help --help, help add and help remove answer like help ship" {
  run "$STARPHLEET" help --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"usage: starphleet help COMMAND"* ]]
  run "$STARPHLEET" help add
  [ "$status" -eq 0 ]
  [[ "$output" == *"usage: starphleet add ship"* ]]
  run "$STARPHLEET" help remove
  [ "$status" -eq 0 ]
  [[ "$output" == *"usage: starphleet remove ship"* ]]
}

@test "version --help shows its usage; version with junk after it is a usage error" {
  run "$STARPHLEET" version --help
  [ "$status" -eq 0 ]
  [ "$output" = "usage: starphleet version" ]
  run "$STARPHLEET" version --bogus
  [ "$status" -eq 2 ]
  run "$STARPHLEET" version extra
  [ "$status" -eq 2 ]
  run "$STARPHLEET" --version
  [ "$status" -eq 0 ]
  [[ "$output" == "starphleet "* ]]
}

@test "ship run that cannot start (its port is taken) says why and leaves no bridge behind" {
  load helpers/ship
  port=$(sp_free_port)
  subnet=$(sp_free_subnet)
  bridge="spt$(printf '%05d' $((RANDOM % 100000)))"
  # Unprivileged containers must pass through the root's parents.
  chmod 711 "$TMP_ROOT"
  python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(); time.sleep(60)' "$port" &
  blocker=$!
  sleep 0.3
  run timeout 60 "$STARPHLEET" ship run --root "$TMP_ROOT/root" --headquarters file:///nonexistent/hq.git \
    --port "$port" --bridge "$bridge" --subnet "$subnet" --nat off
  kill "$blocker" 2>/dev/null || true
  left=no
  if ip link show "$bridge" >/dev/null 2>&1; then left=yes; fi
  "$STARPHLEET" ship down --root "$TMP_ROOT/root" >/dev/null 2>&1 || true
  ip link del "$bridge" 2>/dev/null || true
  [ "$left" = no ]
  [ "$status" -eq 1 ]
  [[ "$output" == *"Address already in use"* ]]
}
