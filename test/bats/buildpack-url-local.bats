#!/usr/bin/env bats
# A BUILDPACK_URL naming a path on the ship (file:///srv/pack.git) cannot be
# cloned inside the build container, which has its own filesystem; the build
# must say so in one line instead of git's "does not appear to be a git
# repository".

setup() {
  REPO_ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
  T=$(mktemp -d /tmp/starphleet-bpurl.XXXXXX)
  mkdir -p "$T/build"
  echo '<p>hi</p>' >"$T/build/index.html"
}

teardown() {
  rm -rf "$T"
}

@test "BUILDPACK_URL to a path the build cannot see fails with one line saying why" {
  printf 'BUILDPACK_URL=file://%s/not-here/pack.git#main\n' "$T" >"$T/build/.env"
  run "$REPO_ROOT/lib/sh/container/build-in-container" "$T/build" "$T/cache" "" "$T/meta" "$REPO_ROOT/buildpacks"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"!     BUILDPACK_URL file://$T/not-here/pack.git: no such path inside the build container"*"serve the pack over https://, git:// or ssh"* ]]
}
