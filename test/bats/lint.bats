#!/usr/bin/env bats
# Style gates that can fail: every shell script is shellcheck-clean and has a
# usage line; the TypeScript core type-checks in strict mode.

REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"

shell_scripts() {
  cd "$REPO"
  printf '%s\n' lib/sh/host/* lib/sh/container/* lxc/base-* buildpacks/*/bin/* bench/push-to-live bench/build-times test/run-all bin/starphleet .ci/run
}

@test "every shell script is shellcheck-clean" {
  cd "$REPO"
  run shellcheck $(shell_scripts)
  echo "$output"
  [ "$status" -eq 0 ]
}

@test "every script in lib/sh, lxc and bench starts with a usage line" {
  cd "$REPO"
  missing=()
  for f in lib/sh/host/* lib/sh/container/* lxc/base-* bench/push-to-live bench/build-times; do
    head -n 5 "$f" | grep -qi 'usage:' || missing+=("$f")
  done
  echo "no usage line: ${missing[*]}"
  [ "${#missing[@]}" -eq 0 ]
}

@test "the TypeScript core type-checks (strict)" {
  cd "$REPO"
  run node_modules/.bin/tsc -p tsconfig.json
  echo "$output"
  [ "$status" -eq 0 ]
}
