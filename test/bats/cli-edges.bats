#!/usr/bin/env bats
# Command-line edges a new user meets (found by trying the product from the
# outside): no ship needed, only the compiled binary.

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
