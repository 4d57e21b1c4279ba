#!/usr/bin/env bats
# A service on the full Debian base (debootstrap, Debian's node and npm),
# built and served by a real ship. Orders pick the base with
# `export STARPHLEET_BASE=debian`. The base build (about a minute) is cached
# in ${STARPHLEET_TEST_CACHE:-/var/cache/starphleet-test}/debian-base and
# shared with bases.bats; STARPHLEET_TEST_DEBIAN=0 skips this file.

load helpers/ship

setup_file() {
  [[ ${STARPHLEET_TEST_DEBIAN:-1} == 1 ]] || skip "STARPHLEET_TEST_DEBIAN=0"
  sp_init_ship
  sp_link_cached_debian_base
  sp_repo hello "$REPO_ROOT/examples/services/node-hello" >/dev/null
  sp_repo site "$REPO_ROOT/examples/services/static-site" >/dev/null
  sp_hq_init
  sp_orders hello 3000 hello "export STARPHLEET_BASE=debian"
  sp_orders "" 8080 site "export STARPHLEET_BASE=debian"
  sp_commit hq "node and static on the Debian base" >/dev/null
  sp_start_ship
}

teardown_file() {
  sp_teardown_ship
}

@test "a Node.js service builds and serves on the Debian base, on the ship's default Node.js (Debian's npm)" {
  run sp_wait_body /hello "Hello from Starphleet" 300
  [ "$status" -eq 0 ]
  [[ "$output" == *"courtesy of the ms package"* ]]
  run grep -E '"service":"/hello","container":null,"source":"build",.*Using Node\.js [0-9]+\.[0-9]+\.[0-9]+, the newest LTS' "$SP_TMP/agent.log"
  [ "$status" -eq 0 ]
}

@test "a static site serves on the Debian base with its nginx" {
  run sp_wait_body / "Starphleet static site" 300
  [ "$status" -eq 0 ]
}

@test "the containers run on the Debian rootfs, not the host stack" {
  name=$("$STARPHLEET" status --root "$SP_ROOT" --json | node -e 'const d=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(d.services.find(s=>s.path==="/hello").container)')
  grep -q "rootfs.path = overlay:$SP_ROOT/bases/debian/rootfs:" "$SP_ROOT/containers/$name/config"
  run lxc-attach -P "$SP_ROOT/containers" -n "$name" -- /usr/bin/node --version
  [ "$status" -eq 0 ]
  [[ "$output" == v18.* ]]
}
