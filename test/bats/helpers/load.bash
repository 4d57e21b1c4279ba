# Request-loop helpers for end-to-end bats tests (loopback only, bounded).
# usage: load helpers/load   (after helpers/ship; then load_start/load_wait/assert_no_drops)

# load_start SECONDS [PATH]: the keep-alive request loop in the background,
# stopped early when $LOAD_STOP_FILE appears; load_wait waits for it.
load_start() {
  node "$REPO_ROOT/test/bats/helpers/load.mjs" "http://127.0.0.1:$SP_PORT${2:-/api/}" "$1" 4 >"$SP_TMP/load.json" 2>"$SP_TMP/load.err" &
  echo $! >"$SP_TMP/load.pid"
}

# load_wait: wait for the loop (in this shell, not a $(...) subshell).
load_wait() {
  wait "$(cat "$SP_TMP/load.pid")" || true
  cat "$SP_TMP/load.err" >&2
}

# load_finish STOP_FILE: stop the loop, wait for it, print its figures and
# assert that it dropped nothing.
load_finish() {
  local result
  touch "$1"
  load_wait
  result=$(cat "$SP_TMP/load.json")
  echo "# load: $result" >&3
  assert_no_drops "$result"
}

# load_finish_no_resets STOP_FILE: as load_finish, and not one request had
# to be retried either (no keep-alive connection closed under the client: a
# client that never retries would have seen none fail).
load_finish_no_resets() {
  local result
  touch "$1"
  load_wait
  result=$(cat "$SP_TMP/load.json")
  echo "# load: $result" >&3
  assert_no_drops "$result"
  node -e 'const r = JSON.parse(process.argv[1]); if (r.retried !== 0) { console.error("connections closed under the client: " + JSON.stringify(r)); process.exit(1); }' "$result"
}

# assert_no_drops JSON: at least 100 requests, zero non-200, zero errors.
assert_no_drops() {
  node -e '
    const r = JSON.parse(process.argv[1]);
    if (r.requests < 100) { console.error("too few requests: " + r.requests); process.exit(1); }
    if (r.non200 !== 0 || r.errors !== 0) { console.error("dropped: " + JSON.stringify(r)); process.exit(1); }
  ' "$1"
}
