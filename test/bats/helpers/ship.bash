# Shared helpers for end-to-end bats tests: real git repos, a real ship
# (dist/starphleet) on its own root, bridge, subnet and loopback port.
# usage: load helpers/ship   (then sp_* functions)

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
STARPHLEET=${STARPHLEET:-$REPO_ROOT/dist/starphleet}
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.invalid
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.invalid

# A free TCP port on 127.0.0.1.
sp_free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# A /24 in 10.213.0.0/16 that no interface or route on this machine uses.
sp_free_subnet() {
  local n
  for n in $(shuf -i 1-250 -n 60); do
    if ! ip -4 route | grep -q "^10\.213\.$n\."; then
      echo "10.213.$n.0/24"
      return 0
    fi
  done
  return 1
}

# sp_init_ship: sets SP_TMP, SP_ROOT, SP_PORT, SP_BRIDGE, SP_SUBNET, SP_REPOS.
sp_init_ship() {
  SP_TMP=$(mktemp -d /tmp/starphleet-test.XXXXXX)
  # nginx workers run unprivileged: the path to the ship root must be traversable.
  chmod 755 "$SP_TMP"
  SP_ROOT="$SP_TMP/root"
  SP_REPOS="$SP_TMP/repos"
  SP_WORK="$SP_TMP/work"
  SP_PORT=$(sp_free_port)
  SP_BRIDGE="spt$(printf '%05d' $((RANDOM % 100000)))"
  SP_SUBNET=$(sp_free_subnet)
  mkdir -p "$SP_REPOS" "$SP_WORK"
  export SP_TMP SP_ROOT SP_REPOS SP_WORK SP_PORT SP_BRIDGE SP_SUBNET
}

# sp_repo NAME [SOURCE_DIR]: bare repo $SP_REPOS/NAME.git with a work clone
# $SP_WORK/NAME holding SOURCE_DIR's files, committed and pushed.
sp_repo() {
  local name=$1 src=${2:-}
  git init -q --bare -b main "$SP_REPOS/$name.git"
  git init -q -b main "$SP_WORK/$name"
  if [ -n "$src" ]; then cp -a "$src/." "$SP_WORK/$name/"; fi
  sp_commit "$name" "initial"
}

# sp_hq_init: an empty headquarters repo (bare + work clone); fill it with sp_orders.
sp_hq_init() {
  git init -q --bare -b main "$SP_REPOS/hq.git"
  git init -q -b main "$SP_WORK/hq"
}

# sp_commit NAME MESSAGE: commit everything in the work clone and push.
sp_commit() {
  local name=$1 msg=$2
  git -C "$SP_WORK/$name" add -A
  git -C "$SP_WORK/$name" commit -q --allow-empty -m "$msg"
  git -C "$SP_WORK/$name" push -q "$SP_REPOS/$name.git" main
  git -C "$SP_WORK/$name" rev-parse HEAD
}

# sp_orders NAME HQ_DIR PORT REPO [EXTRA_LINE]: write HQ_DIR/orders in the hq work clone.
sp_orders() {
  local dir="$SP_WORK/hq/$1"
  mkdir -p "$dir"
  {
    echo "export PORT=$2"
    echo "autodeploy file://$SP_REPOS/$3.git"
    if [ -n "${4:-}" ]; then echo "$4"; fi
  } >"$dir/orders"
}

# sp_start_ship [EXTRA ARGS]: run the agent in the background, wait for its socket.
sp_start_ship() {
  # A socket left by a killed agent must not count as the new one being up.
  rm -f "$SP_ROOT/run/control.sock"
  # Started from a subshell, so it is nobody's job (a kill -9 in a test
  # prints no job notice) and the pid file is the only handle.
  # Tests never reach a public ACME directory: off, unless the test gives its own (Pebble).
  local acme=(--acme-directory off)
  case " $* " in *" --acme-directory "*) acme=() ;; esac
  (
    "$STARPHLEET" ship run --root "$SP_ROOT" --headquarters "file://$SP_REPOS/hq.git" \
      --port "$SP_PORT" --pulse 1 --bridge "$SP_BRIDGE" --subnet "$SP_SUBNET" --nat off "${acme[@]}" "$@" \
      >>"$SP_TMP/agent.log" 2>&1 &
    echo $! >"$SP_TMP/agent.pid"
  )
  local _
  for _ in $(seq 1 100); do
    [ -S "$SP_ROOT/run/control.sock" ] && return 0
    if ! kill -0 "$(cat "$SP_TMP/agent.pid")" 2>/dev/null; then
      echo "agent exited early:" >&2
      cat "$SP_TMP/agent.log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "agent did not open its control socket" >&2
  return 1
}

# sp_wait_body PATH PATTERN [SECONDS]: until GET PATH through nginx matches PATTERN.
sp_wait_body() {
  local path=$1 pattern=$2 seconds=${3:-90} deadline body
  deadline=$((SECONDS + seconds))
  while [ "$SECONDS" -lt "$deadline" ]; do
    # -L: a bare mount path ("/api") is redirected to "/api/" (308).
    body=$(curl -sL --max-time 2 "http://127.0.0.1:$SP_PORT$path" || true)
    if printf '%s' "$body" | grep -qE "$pattern"; then
      printf '%s\n' "$body"
      return 0
    fi
    sleep 0.2
  done
  echo "timed out waiting for $path to match '$pattern'; last body: $body" >&2
  tail -n 30 "$SP_TMP/agent.log" >&2
  return 1
}

# sp_wait_status PATTERN [SECONDS]: until `status` output matches PATTERN.
# Wait until no service's pipeline is at a step and no version is on its way
# in (queued, building, starting, checking): what a test compares is settled.
sp_wait_settled() {
  local seconds=${1:-60} deadline out
  deadline=$((SECONDS + seconds))
  while [ "$SECONDS" -lt "$deadline" ]; do
    out=$("$STARPHLEET" status --root "$SP_ROOT" --json 2>/dev/null || true)
    if printf '%s' "$out" | node -e 'const d=JSON.parse(require("fs").readFileSync(0,"utf8"));const busy=d.services.filter(s=>s.step||s.containers.some(c=>/^(queued|building|starting|checking)$/.test(c.state)));process.exit(busy.length?1:0)' 2>/dev/null; then
      return 0
    fi
    sleep 0.3
  done
  echo "timed out waiting for the ship to settle; last: $out" >&2
  return 1
}

sp_wait_status() {
  local pattern=$1 seconds=${2:-90} deadline out
  deadline=$((SECONDS + seconds))
  while [ "$SECONDS" -lt "$deadline" ]; do
    out=$("$STARPHLEET" status --root "$SP_ROOT" 2>&1 || true)
    if printf '%s' "$out" | grep -qE "$pattern"; then
      printf '%s\n' "$out"
      return 0
    fi
    sleep 0.3
  done
  echo "timed out waiting for status to match '$pattern'; last: $out" >&2
  tail -n 30 "$SP_TMP/agent.log" >&2
  return 1
}

# sp_containers: names of the LXC containers under this ship's root.
sp_containers() {
  lxc-ls -P "$SP_ROOT/containers" 2>/dev/null | tr -s ' \t' '\n' | sed '/^$/d'
}

sp_teardown_ship() {
  [ -n "${SP_TMP:-}" ] || return 0
  "$STARPHLEET" ship down --root "$SP_ROOT" >/dev/null 2>&1 || true
  if [ -f "$SP_TMP/agent.pid" ]; then kill "$(cat "$SP_TMP/agent.pid")" 2>/dev/null || true; fi
  ip link del "$SP_BRIDGE" 2>/dev/null || true
  rm -rf "$SP_TMP"
}

# sp_link_cached_debian_base: build (once per recipe) the Debian base in the
# test cache and give it to this ship as its own (a ship builds it itself
# with `starphleet ship build-base --debian`). Call after sp_init_ship.
sp_link_cached_debian_base() {
  local cache recipe
  cache="${STARPHLEET_TEST_CACHE:-/var/cache/starphleet-test}/debian-base"
  recipe=$(sha256sum "$REPO_ROOT/lxc/base-debian" | cut -d' ' -f1)
  if ! grep -qx "recipe=$recipe" "$cache/ready" 2>/dev/null; then
    "$REPO_ROOT/lxc/base-debian" "$cache" >&3
  fi
  mkdir -p "$SP_ROOT/bases"
  ln -s "$cache" "$SP_ROOT/bases/debian"
}
