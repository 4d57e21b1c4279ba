#!/usr/bin/env bats
# A static site mounted at a prefix (/docs): the front door strips the prefix,
# so the site's own nginx must redirect relative to it. "/docs" leads to
# "/docs/" (else "sub/two.html" in its index resolves to /sub/two.html) and a
# folder without its slash to ".../sub/" under the prefix, never to the
# container's own port ("http://host:8080/sub/" before).

setup() {
  [ "$(id -u)" -eq 0 ] || skip "needs root (setpriv to uid 10000)"
  ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
  T=$(mktemp -d /tmp/starphleet-static-subpath.XXXXXX)
  chmod 755 "$T"
  mkdir -m 1777 "$T/tmp"
  build="$T/build"
  mkdir -p "$build/sub"
  echo '<a href="sub/two.html">two</a>' >"$build/index.html"
  echo '<p>two</p>' >"$build/sub/two.html"
  echo '<p>sub index</p>' >"$build/sub/index.html"
  "$ROOT/buildpacks/static/bin/compile" "$build" "$T/cache" "$T/env" >/dev/null
  chown -R 10000:10000 "$build"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  (cd "$build" && exec setsid setpriv --reuid=10000 --regid=10000 --clear-groups \
    env HOME="$build" PORT="$port" HOST=127.0.0.1 TMPDIR="$T/tmp" .starphleet/static-web) >"$T/server.log" 2>&1 3>&- &
  echo "$!" >"$T/pid"
  for _ in $(seq 150); do
    curl --noproxy '*' -fs -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.1
  done
}

teardown() {
  [ -f "$T/pid" ] && kill -- -"$(cat "$T/pid")" 2>/dev/null || true
  rm -rf "$T"
}

# head_of PATH [HEADER...]: "CODE LOCATION" of a GET to the static site, the
# Location header as sent (a relative one stays relative).
head_of() {
  local path=$1
  shift
  local args=()
  for h in "$@"; do args+=(-H "$h"); done
  curl --noproxy '*' -s -o /dev/null -D "$T/headers" "${args[@]}" "http://127.0.0.1:$port$path"
  printf '%s %s' "$(awk 'NR == 1 { print $2 }' "$T/headers")" "$(tr -d '\r' <"$T/headers" | sed -n 's/^[Ll]ocation: //p')"
}

@test "static site at a prefix: the bare prefix and folders redirect under the prefix, relative to the ship" {
  # What the front door sends for "/docs" (exact location) and "/docs/sub".
  [ "$(head_of / 'X-Forwarded-Prefix: /docs' 'X-Starphleet-Bare-Prefix: 1')" = "301 /docs/" ]
  [ "$(head_of '/?a=1' 'X-Forwarded-Prefix: /docs' 'X-Starphleet-Bare-Prefix: 1')" = "301 /docs/?a=1" ]
  [ "$(head_of / 'X-Forwarded-Prefix: /docs')" = "200 " ]
  [ "$(head_of /sub 'X-Forwarded-Prefix: /docs')" = "301 /docs/sub/" ]
  [ "$(head_of /sub/ 'X-Forwarded-Prefix: /docs')" = "200 " ]
  [ "$(head_of /sub/two.html 'X-Forwarded-Prefix: /docs')" = "200 " ]
  # At "/" (no prefix) a folder still redirects relative to the ship, not to the container's port.
  [ "$(head_of /sub)" = "301 /sub/" ]
  [ "$(head_of /.starphleet/static-web)" = "404 " ]
}
