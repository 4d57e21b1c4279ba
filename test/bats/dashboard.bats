#!/usr/bin/env bats
# The dashboard at /starphleet/dashboard through the ship's nginx: every
# endpoint needs the ship's token (also from inside a container on the
# bridge), /starphleet/ cannot be claimed by a service, and a real browser
# (Debian's Chromium, headless, playwright-core) sees the services table and
# a new log line live, and the metrics charts drawn with the release on the
# timeline. Screenshot: test/artifacts/dashboard.png.

load helpers/ship

setup_file() {
  sp_init_ship
  sp_repo logger "$REPO_ROOT/test/fixtures/services/node-logger" >/dev/null
  sp_hq_init
  sp_orders log 3000 logger
  sp_orders starphleet 3000 logger
  sp_commit hq "a logger, and a service that tries to take /starphleet" >/dev/null
  sp_start_ship
  sp_wait_body /log "logger v1" 120 >/dev/null
}

teardown_file() {
  sp_teardown_ship
}

@test "/starphleet is reserved: that service is refused, the ship's page answers there" {
  sp_wait_status '/starphleet +failed .*reserved' 30
  # one readable line: the orders file, the path, why
  sp_wait_status '/starphleet +failed .*error: starphleet/orders: the path /starphleet is reserved: /starphleet/ belongs to the ship' 5
  run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SP_PORT/starphleet"
  [ "$output" = 302 ]
}

@test "every endpoint needs the token: 401 without, 200 with the bearer token or the login cookie" {
  token=$(cat "$SP_ROOT/dashboard.token")
  [ "$(stat -c %a "$SP_ROOT/dashboard.token")" = 600 ]
  base="http://127.0.0.1:$SP_PORT/starphleet"
  for p in api/status api/events api/logs dashboard/ dashboard/app.js; do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$base/$p")" = 401 ]
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 -H 'Authorization: Bearer wrong' "$base/$p")" = 401 ]
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 -H "Cookie: starphleet_session=$token" "$base/$p")" = 401 ]
  done
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/dashboard/login?token=nope")" = 401 ]
  curl -fsS -H "Authorization: Bearer $token" "$base/api/status" | grep -q '"path":"/log"'
  # The login link carries a one-time code, never the token; it sets a
  # session cookie and sends the browser to the page, and works only once.
  run "$STARPHLEET" dashboard --root "$SP_ROOT"
  [ "$status" -eq 0 ]
  [[ "$output" =~ ^http://127\.0\.0\.1:$SP_PORT/starphleet/dashboard/login\?code=[0-9a-f]{32}$ ]]
  [[ "$output" != *"$token"* ]]
  login=$output
  [ "$(curl -s -c "$SP_TMP/cookies" -o /dev/null -w '%{http_code}' "$login")" = 303 ]
  grep -q 'starphleet_session' "$SP_TMP/cookies"
  [ "$(grep starphleet_session "$SP_TMP/cookies" | awk '{print $7}')" != "$token" ]
  curl -fsS -b "$SP_TMP/cookies" "$base/dashboard/" | grep -q '<title>Starphleet ship</title>'
  curl -fsS -b "$SP_TMP/cookies" "$base/api/logs?service=/log&lines=5" | grep -q '"service":"/log"'
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$login")" = 401 ]
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/dashboard/login?token=$token")" = 401 ]
}

@test "no Host header in the ship's redirects; the dashboard forbids framing and other origins' scripts; its cookie is Secure over HTTPS" {
  run curl -s -o /dev/null -w '%{http_code} %{redirect_url}|%header{location}' -H 'Host: evil.example' "http://127.0.0.1:$SP_PORT/starphleet"
  [[ "$output" == "302 "*"|/starphleet/dashboard/" ]]
  [[ "$output" != *evil.example* ]]
  headers=$(curl -s -D - -o /dev/null "http://127.0.0.1:$SP_PORT/starphleet/dashboard/")
  [[ "$headers" == *"Content-Security-Policy: default-src 'self'; frame-ancestors 'none'"* ]]
  [[ "$headers" == *"X-Frame-Options: DENY"* ]]
  # Through nginx over plain HTTP the cookie is not Secure, whatever the client claims.
  login=$("$STARPHLEET" dashboard --root "$SP_ROOT")
  cookie=$(curl -s -D - -o /dev/null -H 'X-Forwarded-Proto: https' "$login" | grep -i '^set-cookie:')
  [[ "$cookie" == *HttpOnly* ]]
  [[ "$cookie" != *Secure* ]]
  # A request that reached nginx over HTTPS (as nginx tells the agent) gets a Secure cookie.
  login=$("$STARPHLEET" dashboard --root "$SP_ROOT") # a code works once: a new one
  code=${login##*code=}
  cookie=$(curl -s -D - -o /dev/null --unix-socket "$SP_ROOT/run/dashboard.sock" -H 'X-Forwarded-Proto: https' \
    "http://ship/starphleet/dashboard/login?code=$code" | grep -i '^set-cookie:')
  [[ "$cookie" == *"; Secure"* ]]
}

@test "an app on the bridge cannot use the control endpoints without the token" {
  gw=$(echo "$SP_SUBNET" | sed 's|\.0/24$|.1|')
  run "$STARPHLEET" attach --root "$SP_ROOT" /log -- node -e "
    fetch('http://$gw:$SP_PORT/starphleet/api/status').then((r) => { console.log('status ' + r.status); })
      .catch((e) => { console.log('error ' + e.message); process.exit(3); });"
  echo "# from the container: $output" >&3
  [ "$status" -eq 0 ]
  [[ "$output" == *"status 401"* ]]
}

@test "a real browser sees the services table, a new log line live, the filter, and the charts drawn with the release marked" {
  url=$("$STARPHLEET" dashboard --root "$SP_ROOT")
  mkdir -p "$REPO_ROOT/test/artifacts"
  run node "$REPO_ROOT/test/bats/helpers/dashboard.mjs" "$url" /log "http://127.0.0.1:$SP_PORT/log/say" "$REPO_ROOT/test/artifacts/dashboard.png"
  echo "# $output" >&3
  [ "$status" -eq 0 ]
  [ -s "$REPO_ROOT/test/artifacts/dashboard.png" ]
  [[ "$output" == *'"landed":"/starphleet/dashboard/"'* ]]
  [[ "$output" == *'"charts":4'* ]]
}
