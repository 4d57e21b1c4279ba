#!/usr/bin/env bats
# BUILDPACK_URL with any URL autodeploy takes. The ship fetches a pack named
# by the orders (here file:///…/pack.git#v1, on the ship's own disk) on the
# host, like a service repo, and hands it to the build. A service repo may not
# name a pack on the ship's disk (its .env is not the admirals'), and
# build-in-container on its own says in one line why a path it cannot see
# fails, instead of git's "does not appear to be a git repository".

load helpers/ship

setup_file() {
  sp_init_ship
  # A pack that writes its version into the app and serves it.
  mkdir -p "$SP_TMP/pack/bin"
  printf '#!/usr/bin/env bash\necho "Custom Pack"\n' >"$SP_TMP/pack/bin/detect"
  cat >"$SP_TMP/pack/bin/compile" <<'PACK'
#!/usr/bin/env bash
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
echo "-----> custom pack $(cat "$here/VERSION") compiling"
echo "built by custom pack $(cat "$here/VERSION")" >"$1/index.html"
PACK
  cat >"$SP_TMP/pack/bin/release" <<'PACK'
#!/usr/bin/env bash
cat <<'YAML'
---
default_process_types:
  web: python3 -m http.server "$PORT"
YAML
PACK
  chmod +x "$SP_TMP/pack/bin/"*
  echo v1 >"$SP_TMP/pack/bin/VERSION"
  sp_repo pack "$SP_TMP/pack" >/dev/null
  git -C "$SP_WORK/pack" tag v1
  git -C "$SP_WORK/pack" push -q "$SP_REPOS/pack.git" v1
  echo v2 >"$SP_WORK/pack/bin/VERSION"
  sp_commit pack v2 >/dev/null

  mkdir -p "$SP_TMP/src"
  echo '<p>no pack of its own</p>' >"$SP_TMP/src/readme.txt"
  sp_repo app "$SP_TMP/src" >/dev/null
  sp_hq_init
  sp_orders custom 8000 app "export BUILDPACK_URL=file://$SP_REPOS/pack.git#v1"
  sp_commit hq "a pack named by the orders" >/dev/null
  sp_start_ship
}

teardown_file() {
  sp_teardown_ship
}

@test "orders BUILDPACK_URL=file://…#v1: fetched on the ship, built with, served" {
  run sp_wait_body /custom/ "^built by custom pack v1$" 120
  [ "$status" -eq 0 ]
  grep -q "Fetching buildpack file://$SP_REPOS/pack.git#v1 (named by orders) on the ship" "$SP_TMP/agent.log"
  grep -hq "\"buildpack\": \"file://$SP_REPOS/pack.git#v1\"" "$SP_ROOT"/slugs/custom-*/*/meta.json
}

@test "a service repo's .env naming a pack on the ship's disk is refused in one line; the orders' pack keeps serving" {
  # Orders without a pack first (the same commit, another slug: it has no
  # pack of its own, so that build fails), then the repo's .env names one.
  sp_orders custom 8000 app ""
  sp_commit hq "no pack in the orders" >/dev/null
  run sp_wait_status "/custom +online .*error: build failed: no buildpack detected" 90
  [ "$status" -eq 0 ]
  printf 'BUILDPACK_URL=file://%s/pack.git\n' "$SP_REPOS" >"$SP_WORK/app/.env"
  sp_commit app "a .env naming a local pack" >/dev/null
  run sp_wait_status "/custom +online .*error: build failed: .env: file://$SP_REPOS/pack.git reads the ship's own disk: a pack at a path or file:// URL may only be named by the orders' BUILDPACK_URL" 90
  echo "$output"
  [ "$status" -eq 0 ]
  run curl -s "http://127.0.0.1:$SP_PORT/custom/"
  [ "$output" = "built by custom pack v1" ]
}

@test "build-in-container alone: a BUILDPACK_URL path it cannot see fails with one line saying why" {
  mkdir -p "$SP_TMP/build"
  echo '<p>hi</p>' >"$SP_TMP/build/index.html"
  printf 'BUILDPACK_URL=file://%s/not-here/pack.git#main\n' "$SP_TMP" >"$SP_TMP/build/.env"
  run "$REPO_ROOT/lib/sh/container/build-in-container" "$SP_TMP/build" "$SP_TMP/cache" "" "$SP_TMP/meta" "$REPO_ROOT/buildpacks"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"!     BUILDPACK_URL file://$SP_TMP/not-here/pack.git: no such path inside the build container"*"serve the pack over https://, git:// or ssh"* ]]
}
