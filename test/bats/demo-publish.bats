#!/usr/bin/env bats
# `make demo` publishes examples/ into local bare repos and invites you to
# push to them; running it again afterwards must work and keep your commits
# (it used to stop at a rejected non-fast-forward push).

setup() {
  REPO_ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
  T=$(mktemp -d /tmp/starphleet-demo-publish.XXXXXX)
  export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t.invalid GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t.invalid
  mkdir -p "$T/src" && echo one > "$T/src/file"
}

teardown() {
  rm -rf "$T"
}

@test "demo-publish again after a user's push keeps the user's commit" {
  run "$REPO_ROOT/lib/sh/host/demo-publish" "$T/src" app "$T/demo"
  [ "$status" -eq 0 ]
  [ "$(git -C "$T/demo/repos/app.git" show main:file)" = one ]
  # the user pushes to the printed repo
  git clone -q "$T/demo/repos/app.git" "$T/user"
  echo mine > "$T/user/file"
  git -C "$T/user" commit -qam "my change"
  git -C "$T/user" push -q origin HEAD:main
  mine=$(git -C "$T/user" rev-parse HEAD)
  run "$REPO_ROOT/lib/sh/host/demo-publish" "$T/src" app "$T/demo"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Keeping $T/demo/repos/app.git"* ]]
  [ "$(git -C "$T/demo/repos/app.git" rev-parse main)" = "$mine" ]
}

@test "demo-publish of a changed example updates a repo nobody pushed to" {
  "$REPO_ROOT/lib/sh/host/demo-publish" "$T/src" app "$T/demo"
  first=$(git -C "$T/demo/repos/app.git" rev-parse main)
  run "$REPO_ROOT/lib/sh/host/demo-publish" "$T/src" app "$T/demo"
  [ "$status" -eq 0 ]
  [ "$(git -C "$T/demo/repos/app.git" rev-parse main)" = "$first" ]   # unchanged: no new commit
  echo two > "$T/src/file"
  run "$REPO_ROOT/lib/sh/host/demo-publish" "$T/src" app "$T/demo"
  [ "$status" -eq 0 ]
  [ "$(git -C "$T/demo/repos/app.git" show main:file)" = two ]
}
