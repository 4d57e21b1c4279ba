#!/usr/bin/env bats
# Real tests of the container bases in lxc/: build them, write a container
# config by hand the way the ship does (overlay rootfs over the base, the
# base's base.conf lines, a bind-mounted /app) and run programs inside with
# lxc-execute, as root and as the app user (uid/gid 10000).
#
# The Debian base test is on by default (CI must run it); skip it with
# STARPHLEET_TEST_DEBIAN=0. Its build is cached in
# ${STARPHLEET_TEST_CACHE:-/var/cache/starphleet-test}/debian-base.
# shellcheck disable=SC2016 # single-quoted scripts expand inside the container

REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
AS_APP=(setpriv --reuid=10000 --regid=10000 --clear-groups env HOME=/app)

setup_file() {
  [[ $(id -u) -eq 0 ]] || skip "needs root for LXC"
  HOST_BASE_TMP="$(mktemp -d /tmp/starphleet-bases.XXXXXX)"
  export HOST_BASE_TMP
  export HOST_BASE="$HOST_BASE_TMP/host"
  "$REPO/lxc/base-host" "$HOST_BASE"
}

teardown_file() {
  if [[ -n ${HOST_BASE_TMP:-} && -d $HOST_BASE_TMP ]]; then
    rm -rf "$HOST_BASE_TMP"
  fi
}

setup() {
  LXCPATH="$(mktemp -d /tmp/starphleet-bases-lxc.XXXXXX)"
}

# Every container of the test lives in its own LXCPATH (helpers may run in
# `run`'s subshell, so the directory is the record, not a variable).
teardown() {
  local config name
  for config in "$LXCPATH"/*/config; do
    [[ -f $config ]] || continue
    name=$(basename "$(dirname "$config")")
    if lxc-info -P "$LXCPATH" -n "$name" -s 2>/dev/null | grep -q RUNNING; then
      lxc-stop -P "$LXCPATH" -n "$name" -k || true
    fi
    lxc-destroy -P "$LXCPATH" -n "$name" >/dev/null 2>&1 || true
  done
  rm -rf "$LXCPATH"
}

# make_container BASE_DIR NET_TYPE: writes LXCPATH/NAME/config, prints NAME.
# NET_TYPE none = host network (like builds); empty = private netns, lo up.
make_container() {
  local base=$1 net=$2 name
  name=$(basename "$(mktemp -d "$LXCPATH/sp-bases-XXXXXX")")
  mkdir -p "$LXCPATH/$name/delta" "$LXCPATH/$name/app"
  chown 10000:10000 "$LXCPATH/$name/app"
  {
    echo "lxc.uts.name = $name"
    echo "lxc.rootfs.path = overlay:$base/rootfs:$LXCPATH/$name/delta"
    echo "lxc.net.0.type = $net"
    if [[ $net == empty ]]; then echo "lxc.net.0.flags = up"; fi
    grep -v '^[[:space:]]*#' "$base/base.conf"
    echo "lxc.mount.entry = $LXCPATH/$name/app app none bind 0 0"
  } >"$LXCPATH/$name/config"
  echo "$name"
}

# in_container BASE_DIR NET_TYPE CMD...: fresh container, run CMD, keep output.
in_container() {
  local base=$1 net=$2 name
  shift 2
  name=$(make_container "$base" "$net")
  timeout 120 lxc-execute -P "$LXCPATH" -n "$name" -l INFO -o "$LXCPATH/$name.log" -- "$@"
}

# A script that runs nginx as the app user with every path under /tmp and
# fetches a page from it over loopback with node.
write_nginx_smoke() {
  cat >"$1/nginx-smoke.sh" <<'EOF'
set -eu
mkdir -p /tmp/nginx
cat >/tmp/nginx/nginx.conf <<'CONF'
worker_processes 1;
pid /tmp/nginx/nginx.pid;
error_log stderr;
events {}
http {
  include /etc/nginx/mime.types;
  access_log /tmp/nginx/access.log;
  client_body_temp_path /tmp/nginx/body;
  proxy_temp_path /tmp/nginx/proxy;
  fastcgi_temp_path /tmp/nginx/fastcgi;
  uwsgi_temp_path /tmp/nginx/uwsgi;
  scgi_temp_path /tmp/nginx/scgi;
  server {
    listen 127.0.0.1:8080;
    location / { default_type text/plain; return 200 "hello from nginx as $server_name\n"; }
  }
}
CONF
nginx -p /tmp/nginx -c /tmp/nginx/nginx.conf -e stderr -g 'daemon off;' &
pid=$!
for _ in $(seq 50); do
  if node -e 'require("http").get("http://127.0.0.1:8080/", r => { r.pipe(process.stdout); r.on("end", () => process.exit(r.statusCode === 200 ? 0 : 1)); }).on("error", () => process.exit(1))'; then
    kill "$pid"; wait "$pid" || true; exit 0
  fi
  sleep 0.1
done
kill "$pid" || true
exit 1
EOF
}

debian_base() {
  [[ ${STARPHLEET_TEST_DEBIAN:-1} == 1 ]] || skip "STARPHLEET_TEST_DEBIAN=${STARPHLEET_TEST_DEBIAN}"
  DEBIAN_BASE="${STARPHLEET_TEST_CACHE:-/var/cache/starphleet-test}/debian-base"
  local recipe
  recipe=$(sha256sum "$REPO/lxc/base-debian" | cut -d' ' -f1)
  # Rebuilt (over the cached debootstrap) when the recipe changed.
  if ! grep -qx "recipe=$recipe" "$DEBIAN_BASE/ready" 2>/dev/null; then
    "$REPO/lxc/base-debian" "$DEBIAN_BASE" >&3
  fi
}

# --- host-stack base ---------------------------------------------------------

@test "base-host: builds a tiny rootfs, base.conf and ready" {
  grep -q '^recipe=[0-9a-f]\{64\}$' "$HOST_BASE/ready"
  [ "$(readlink "$HOST_BASE/rootfs/bin")" = usr/bin ]
  [ "$(readlink "$HOST_BASE/rootfs/lib")" = usr/lib ]
  [ "$(stat -c %a "$HOST_BASE/rootfs/tmp")" = 1777 ]
  for d in proc sys dev run var/tmp etc app starphleet starphleet-env; do
    [ -d "$HOST_BASE/rootfs/$d" ]
  done
  grep -qx 'app:x:10000:10000:starphleet app:/app:/bin/bash' "$HOST_BASE/rootfs/etc/passwd"
  grep -qx 'app:x:10000:' "$HOST_BASE/rootfs/etc/group"
  [ ! -e "$HOST_BASE/rootfs/etc/shadow" ]
  grep -qx 'lxc.mount.entry = /usr usr none ro,bind,nosuid,nodev 0 0' "$HOST_BASE/base.conf"
  grep -qx 'lxc.mount.entry = /etc/ssl/certs etc/ssl/certs none ro,bind,nosuid,nodev 0 0' "$HOST_BASE/base.conf"
  grep -qx 'lxc.mount.entry = /etc/alternatives etc/alternatives none ro,bind,nosuid,nodev 0 0' "$HOST_BASE/base.conf"
  [ "$(du -sk "$HOST_BASE/rootfs" | cut -f1)" -lt 1024 ]
}

@test "base-host: rebuilding over an existing base works" {
  local dir="$HOST_BASE_TMP/rebuild"
  "$REPO/lxc/base-host" "$dir"
  echo stale >"$dir/rootfs/etc/stale"
  run "$REPO/lxc/base-host" "$dir"
  [ "$status" -eq 0 ]
  [ -f "$dir/ready" ]
  [ ! -e "$dir/rootfs/etc/stale" ]
  [ "$(grep -c '^app:' "$dir/rootfs/etc/passwd")" -eq 1 ]
}

@test "base-host: usage error without BASE_DIR" {
  run "$REPO/lxc/base-host"
  [ "$status" -eq 2 ]
  [[ $output == *"usage: base-host BASE_DIR"* ]]
}

@test "host base: node -e runs" {
  run in_container "$HOST_BASE" none node -e 'console.log("node", 6 * 7)'
  [ "$status" -eq 0 ]
  [[ $output == *"node 42"* ]]
}

@test "host base: python3 -c runs (with ssl and sqlite3)" {
  run in_container "$HOST_BASE" none python3 -c 'import ssl, sqlite3, json; print("python", 6 * 7)'
  [ "$status" -eq 0 ]
  [[ $output == *"python 42"* ]]
}

@test "host base: bash -c runs" {
  run in_container "$HOST_BASE" none bash -c 'echo "bash $((6 * 7)) $0"'
  [ "$status" -eq 0 ]
  [[ $output == *"bash 42 bash"* ]]
}

@test "host base: setpriv drops to uid 10000" {
  run in_container "$HOST_BASE" none setpriv --reuid=10000 --regid=10000 --clear-groups id -u
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = 10000 ]
  run in_container "$HOST_BASE" none "${AS_APP[@]}" sh -c 'id -un; id -gn; echo "$HOME"'
  [ "$status" -eq 0 ]
  [[ $output == *"app"*"app"*"/app"* ]]
}

@test "host base: git works as the app user" {
  run in_container "$HOST_BASE" none "${AS_APP[@]}" sh -c \
    'git --version && cd /app && git init -q r && cd r && git -c user.name=t -c user.email=t@t commit -q --allow-empty -m first && git log --format=%s'
  [ "$status" -eq 0 ]
  [[ $output == *"git version"* ]]
  [ "${lines[-1]}" = first ]
}

@test "host base: nginx -v and nginx serving as uid 10000 with paths under /tmp" {
  run in_container "$HOST_BASE" none nginx -v
  [ "$status" -eq 0 ]
  [[ $output == *"nginx version: nginx/"* ]]
  local name
  name=$(make_container "$HOST_BASE" empty)
  write_nginx_smoke "$LXCPATH/$name/app"
  run timeout 60 lxc-execute -P "$LXCPATH" -n "$name" -- "${AS_APP[@]}" bash /app/nginx-smoke.sh
  [ "$status" -eq 0 ]
  [[ $output == *"hello from nginx"* ]]
}

@test "host base: npm --version as the app user (global npmrc visible)" {
  run in_container "$HOST_BASE" none "${AS_APP[@]}" sh -c 'cd /app && npm --version && npm config get cafile'
  [ "$status" -eq 0 ]
  [[ ${lines[0]} =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]
  if [ -f /usr/etc/npmrc ] && grep -q '^cafile' /usr/etc/npmrc; then
    [[ $output == *"/etc/ssl/certs/ca-certificates.crt"* ]]
  fi
}

@test "host base: host directories are read-only, PATH and CA env are set" {
  run in_container "$HOST_BASE" none bash -c \
    'touch /usr/x 2>/dev/null && echo usr-writable; touch /etc/ssl/certs/x 2>/dev/null && echo certs-writable; echo "PATH=$PATH"; echo "CA=$NODE_EXTRA_CA_CERTS"; test -s /etc/ssl/certs/ca-certificates.crt && echo ca-ok; test -e /proc/self/status && echo proc-ok'
  [ "$status" -eq 0 ]
  [[ $output != *writable* ]]
  [[ $output == *"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"* ]]
  [[ $output == *"CA=/etc/ssl/certs/ca-certificates.crt"* ]]
  [[ $output == *ca-ok* ]]
  [[ $output == *proc-ok* ]]
}

@test "host base: writes go to the container's delta, the rootfs stays tiny" {
  run in_container "$HOST_BASE" none bash -c 'head -c 2000000 /dev/zero >/tmp/big && echo written'
  [ "$status" -eq 0 ]
  [[ $output == *written* ]]
  local deltas=("$LXCPATH"/*/delta/tmp/big)
  [ -f "${deltas[0]}" ]
  [ ! -e "$HOST_BASE/rootfs/tmp/big" ]
  [ "$(du -sk "$HOST_BASE/rootfs" | cut -f1)" -lt 1024 ]
}

# --- Debian base -------------------------------------------------------------

@test "base-debian: builds (or reuses) the cached Debian base" {
  debian_base
  [ -f "$DEBIAN_BASE/ready" ]
  [ -x "$DEBIAN_BASE/rootfs/usr/bin/apt-get" ]
  grep -q '^app:[^:]*:10000:10000:[^:]*:/app:/bin/bash$' "$DEBIAN_BASE/rootfs/etc/passwd"
  ! grep -q 'lxc.mount.entry = /usr ' "$DEBIAN_BASE/base.conf" || false
  [ -z "$(find "$DEBIAN_BASE/rootfs/var/lib/apt/lists" -mindepth 1 -maxdepth 1 ! -name lock ! -name partial)" ]
  ! grep -q " $DEBIAN_BASE/" /proc/self/mountinfo || false
}

@test "debian base: node, npm, python3, git, nginx and setpriv run inside" {
  debian_base
  run in_container "$DEBIAN_BASE" none "${AS_APP[@]}" bash -c '
    cd /app
    echo "uid $(id -u)"
    node -e "console.log(\"node\", 6 * 7)"
    echo "npm $(npm --version)"
    python3 -c "import ssl; print(\"python\", 6 * 7)"
    python3 -m pip --version
    git --version
    nginx -v 2>&1'
  [ "$status" -eq 0 ]
  [[ $output == *"uid 10000"* ]]
  [[ $output == *"node 42"* ]]
  [[ $output =~ npm\ [0-9]+\.[0-9]+ ]]
  [[ $output == *"python 42"* ]]
  [[ $output == *"pip "* ]]
  [[ $output == *"git version"* ]]
  [[ $output == *"nginx version: nginx/"* ]]
}

@test "debian base: nginx serves as uid 10000 with paths under /tmp" {
  debian_base
  local name
  name=$(make_container "$DEBIAN_BASE" empty)
  write_nginx_smoke "$LXCPATH/$name/app"
  run timeout 60 lxc-execute -P "$LXCPATH" -n "$name" -- "${AS_APP[@]}" bash /app/nginx-smoke.sh
  [ "$status" -eq 0 ]
  [[ $output == *"hello from nginx"* ]]
}
