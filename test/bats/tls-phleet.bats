#!/usr/bin/env bats
# HTTPS on a phleet: two ships (network namespaces this test makes, added
# over ssh) behind `starphleet balancer` in a third namespace, which passes
# TLS through (nginx stream) and tries ACME challenges on every ship in turn.
# Pebble (on the test bridge's host address) answers every name with the
# balancer's address, so each ship's own certificate order is validated
# through the balancer. Then an own certificate (`cert add`) for the ships'
# own name reaches both ships, sealed. Nothing leaves this machine.

load helpers/ship
load helpers/netns
load helpers/load
load helpers/pebble

BAL=9   # the balancer's namespace index (address $NS_NET.19)

setup_file() {
  sp_init_ship
  sp_ns_init
  export STARPHLEET_HOME="$SP_TMP/home"
  # Standard library only: ships in test namespaces reach no package index.
  sp_repo shop "$REPO_ROOT/test/fixtures/services/py-phleet" >/dev/null
  sp_hq_init
  sp_orders shop 8000 shop 'export DOMAINS="shop.test"'
  sp_commit hq "a service with a domain" >/dev/null
  for i in 1 2 "$BAL"; do sp_ns_ship "$i"; done
  pebble_up "$SP_TMP/pebble" "$NS_NET.1" 80 "$(sp_ns_addr "$BAL")"
  start_balancer
  STARPHLEET_ROOT="$SP_TMP/no-local-ship" "$STARPHLEET" init test --headquarters "file://$SP_REPOS/hq.git" >/dev/null
  for i in 1 2; do
    "$STARPHLEET" add ship "root@$(sp_ns_addr "$i")" --identity "$NS_KEY" --root "$NS_TMP/ship$i/root" \
      --name "ship$i" --pulse 1 --nat off --init keepalive \
      --acme-directory "https://$NS_NET.1:$ACME_PORT/dir" --acme-email test@example.com --acme-ca "$P/ca.pem" >"$SP_TMP/add$i.log" 2>&1 \
      || { cat "$SP_TMP/add$i.log" >&2; return 1; }
  done
}

# The balancer: the generated http snippet and stream block, in namespace BAL on ports 80 and 443.
start_balancer() {
  local b="$SP_TMP/balancer"
  mkdir -p "$b/logs"
  # Its ships are not added yet: the configs are written once they are (render_balancer).
  cat >"$b/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
pid $b/nginx.pid;
error_log $b/logs/error.log;
events {}
include $b/stream.conf;
http {
  access_log off;
  include $b/http.conf;
}
CONF
  : >"$b/stream.conf"
  : >"$b/http.conf"
  sp_ns_exec "$BAL" nginx -p "$b" -c nginx.conf
}

render_balancer() {
  local b="$SP_TMP/balancer"
  "$STARPHLEET" balancer --listen "$(sp_ns_addr "$BAL"):80" >"$b/http.conf"
  "$STARPHLEET" balancer --format nginx-stream --listen "$(sp_ns_addr "$BAL"):443" >"$b/stream.conf"
  sp_ns_exec "$BAL" nginx -p "$b" -c nginx.conf -s reload
  sleep 0.5
}

teardown_file() {
  if [ -f "$SP_TMP/balancer/nginx.pid" ]; then sp_ns_exec "$BAL" nginx -p "$SP_TMP/balancer" -c nginx.conf -s stop 2>/dev/null || true; fi
  for i in 1 2; do
    root="$NS_TMP/ship$i/root"
    if [ -x "$root/bin/starphleet" ]; then
      sp_ns_exec "$i" "$root/bin/starphleet" ship service uninstall --root "$root" >/dev/null 2>&1 || true
      sp_ns_exec "$i" "$root/bin/starphleet" ship down --root "$root" >/dev/null 2>&1 || true
    fi
  done
  pebble_down
  sp_ns_teardown
  rm -rf "$SP_TMP"
}

# cert_state I DOMAIN: state of DOMAIN's certificate on ship I (status --json), or missing.
cert_state() {
  "$STARPHLEET" status --ship "ship$1" --json 2>/dev/null | node -e '
    const d = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const c = ((d.ships?.[0]?.status ?? d).ship.certs || []).find((x) => x.domain === process.argv[1]);
    console.log(c ? `${c.state} ${c.source}` : "missing");
  ' "$2"
}

wait_cert() {
  local deadline=$((SECONDS + ${3:-120})) v
  while :; do
    v=$(cert_state "$1" "$2")
    [[ "$v" == "$4"* ]] && return 0
    [ "$SECONDS" -ge "$deadline" ] && { echo "ship$1: cert $2 is '$v', not '$4'" >&2; tail -n 20 "$NS_TMP/ship$1/root/logs/agent.log" >&2; return 1; }
    sleep 1
  done
}

# verify_at ADDR NAME CAFILE: the subject's serial of what ADDR:443 serves for NAME, after a chain check against CAFILE.
verify_at() {
  openssl s_client -connect "$1:443" -servername "$2" -verify_hostname "$2" -verify_return_error -CAfile "$3" </dev/null 2>/dev/null \
    | openssl x509 -noout -serial
}

# in_ship I COMMAND...: COMMAND in ship I's agent's mount namespace (its tmpfs is mounted there only).
in_ship() {
  local pid
  pid=$(cat "$NS_TMP/ship$1/root/run/agent.pid")
  shift
  nsenter --mount="/proc/$pid/ns/mnt" "$@"
}

# wait_https I: until ship I answers shop.test over HTTPS (its first version live).
wait_https() {
  local deadline=$((SECONDS + 180)) body
  while [ "$SECONDS" -lt "$deadline" ]; do
    body=$(curl -s --max-time 5 --cacert "$P/root.pem" --resolve "shop.test:443:$(sp_ns_addr "$1")" https://shop.test/ || true)
    [[ "$body" == "phleet v1 "* ]] && return 0
    sleep 1
  done
  echo "ship$1 never answered shop.test over HTTPS; last: $body" >&2
  tail -n 20 "$NS_TMP/ship$1/root/logs/agent.log" >&2
  return 1
}

@test "two ships behind the balancer: each gets its own certificate, its challenge answered through the balancer" {
  render_balancer
  for i in 1 2; do wait_cert "$i" shop.test 150 valid; done
  pebble_root
  for i in 1 2; do wait_https "$i"; done
  bal=$(sp_ns_addr "$BAL")
  # Each ship serves a certificate that verifies for shop.test against Pebble's root.
  s1=$(verify_at "$(sp_ns_addr 1)" shop.test "$P/root.pem")
  s2=$(verify_at "$(sp_ns_addr 2)" shop.test "$P/root.pem")
  [ -n "$s1" ] && [ -n "$s2" ]
  [ "$s1" != "$s2" ]
  # Through the balancer (TLS passed through), over HTTPS, and HTTP redirects there.
  run curl -s --max-time 10 --cacert "$P/root.pem" --resolve "shop.test:443:$bal" https://shop.test/x
  echo "$output"
  [[ "$output" == "phleet v1 "* ]]
  run curl -s -o /dev/null -w '%{http_code} %header{location}' --resolve "shop.test:80:$bal" http://shop.test/a?b=1
  [ "$output" = "308 https://shop.test/a?b=1" ]
  # A challenge no ship asked for: every ship tried, a 404, and no ship marked failed.
  run curl -s -o /dev/null -w '%{http_code}' --resolve "shop.test:80:$bal" http://shop.test/.well-known/acme-challenge/none
  [ "$output" = 404 ]
  echo "# ship1 serial ${s1#serial=}, ship2 serial ${s2#serial=}" >&3
}

@test "cert renew on both ships under a keep-alive HTTPS load through the balancer: no request fails" {
  bal=$(sp_ns_addr "$BAL")
  before1=$(verify_at "$(sp_ns_addr 1)" shop.test "$P/root.pem")
  LOAD_HOST=shop.test LOAD_CA="$P/root.pem" LOAD_STOP_FILE="$SP_TMP/stop-renew" \
    node "$REPO_ROOT/test/bats/helpers/load.mjs" "https://$bal/" 90 4 >"$SP_TMP/load.json" 2>"$SP_TMP/load.err" &
  echo $! >"$SP_TMP/load.pid"
  sleep 1
  run "$STARPHLEET" cert renew shop.test
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"ship1: certificate for shop.test renewed, valid until "* ]]
  [[ "$output" == *"ship2: certificate for shop.test renewed, valid until "* ]]
  sleep 1
  [ "$(verify_at "$(sp_ns_addr 1)" shop.test "$P/root.pem")" != "$before1" ]
  load_finish "$SP_TMP/stop-renew"
}

@test "the ACME server gone: renew fails on each ship with the reason in status; both keep serving" {
  pebble_stop
  run "$STARPHLEET" cert renew shop.test
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"ship1: FAILED: "*"connection refused"* ]]
  [[ "$output" == *"ship2: FAILED: "*"connection refused"* ]]
  [[ "$(cert_state 1 shop.test)" == "failed acme" ]]
  run "$STARPHLEET" status --ship ship2
  [[ "$output" == *"cert shop.test ERROR "*"serving the one valid until "* ]]
  run curl -s --max-time 10 --cacert "$P/root.pem" --resolve "shop.test:443:$(sp_ns_addr "$BAL")" https://shop.test/
  [[ "$output" == "phleet v1 "* ]]
  pebble_start
}

@test "cert add: an own certificate for the ships' own name reaches both ships; the dashboard answers over HTTPS at it" {
  o="$SP_TMP/own"
  mkdir -p "$o"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$o/ca.key" -out "$o/ca.pem" -days 2 -subj /CN=own-test-ca 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$o/key.pem" -out "$o/ships.csr" -subj /CN=ships.test 2>/dev/null
  printf 'subjectAltName=DNS:ships.test\n' >"$o/ext.cnf"
  openssl x509 -req -in "$o/ships.csr" -CA "$o/ca.pem" -CAkey "$o/ca.key" -CAcreateserial -out "$o/cert.pem" -days 2 -extfile "$o/ext.cnf" 2>/dev/null
  # Checked before anything leaves: a key of another certificate is refused.
  run "$STARPHLEET" cert add ships.test --cert "$o/cert.pem" --key "$o/ca.key"
  [ "$status" -eq 1 ]
  [[ "$output" == *"cert add ships.test: $o/cert.pem: the key does not belong to the certificate; nothing changed"* ]]
  run "$STARPHLEET" cert add other.test --cert "$o/cert.pem" --key "$o/key.pem"
  [ "$status" -eq 1 ]
  [[ "$output" == *"does not cover other.test"* ]]
  run "$STARPHLEET" cert add ships.test --cert "$o/cert.pem" --key "$o/key.pem"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"certificate for ships.test added in phleet test (version 1) on 2 ships"* ]]
  for i in 1 2; do
    [ -n "$(verify_at "$(sp_ns_addr "$i")" ships.test "$o/ca.pem")" ]
    [ "$(cert_state "$i" ships.test)" = "valid own" ]
  done
  run "$STARPHLEET" cert list
  echo "$output"
  [[ "$output" == *"ship1  ships.test  own  valid until "* ]]
  [[ "$output" == *"ship2  ships.test  own  valid until "* ]]
  [[ "$output" == *"ship2  shop.test  acme  valid until "* ]]
  # The dashboard over HTTPS at that name, through the balancer; plain HTTP there redirects.
  bal=$(sp_ns_addr "$BAL")
  run curl -s -o /dev/null -w '%{http_code}' --cacert "$o/ca.pem" --resolve "ships.test:443:$bal" https://ships.test/starphleet/api/status
  [ "$output" = 401 ]
  token=$(cat "$NS_TMP/ship1/root/dashboard.token")
  run curl -s -o /dev/null -w '%{http_code}' --cacert "$o/ca.pem" --resolve "ships.test:443:$(sp_ns_addr 1)" -H "Authorization: Bearer $token" https://ships.test/starphleet/api/status
  [ "$output" = 200 ]
  run curl -s -o /dev/null -w '%{http_code} %header{location}' --resolve "ships.test:80:$bal" http://ships.test/starphleet/dashboard/
  [ "$output" = "308 https://ships.test/starphleet/dashboard/" ]
  # The key: sealed on each ship and in the profile; in plaintext only on the ships' tmpfs.
  body=$(grep -v -- '-----' "$o/key.pem" | head -n 1)
  for i in 1 2; do
    root="$NS_TMP/ship$i/root"
    [ "$(in_ship "$i" findmnt -n -o FSTYPE --target "$root/tls")" = tmpfs ]
    in_ship "$i" grep -qF -e "$body" "$root/tls/live/ships.test.key"
    # On disk (what the host sees of the root, the tmpfs aside): nowhere.
    run grep -rlF -e "$body" "$root"
    [ "$status" -ne 0 ]
    run grep -rlF -e "$body" "$root/logs"
    [ "$status" -ne 0 ]
  done
  run grep -rlF -e "$body" "$STARPHLEET_HOME"
  [ "$status" -ne 0 ]
}

@test "cert remove: the own certificate goes from both ships and the profile's copy" {
  run "$STARPHLEET" cert remove ships.test
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"certificate for ships.test removed in phleet test (version 2) on 2 ships"* ]]
  for i in 1 2; do
    [ "$(cert_state "$i" ships.test)" = missing ]
    in_ship "$i" test ! -e "$NS_TMP/ship$i/root/tls/live/ships.test.key"
    in_ship "$i" test -e "$NS_TMP/ship$i/root/tls/live/shop.test.key"
  done
  run "$STARPHLEET" cert list
  [[ "$output" != *ships.test* ]]
  run "$STARPHLEET" cert remove ships.test
  [ "$status" -eq 1 ]
  [[ "$output" == *"ships.test has no own certificate in phleet test"* ]]
}

@test "a push hook through the balancer reaches both ships, each of which checks its signature" {
  secret=9d0c6b1e2f3a4b5c6d7e8f90a1b2c3d4
  run bash -c 'printf "%s" "$1" | "$0" webhook secret -' "$STARPHLEET" "$secret"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"on 2 ships; a ship setting"* ]]
  render_balancer
  echo '{"ref":"refs/heads/main"}' >"$SP_TMP/push.json"
  mac=$(openssl dgst -sha256 -hmac "$secret" -r "$SP_TMP/push.json" | cut -d' ' -f1)
  bal=$(sp_ns_addr "$BAL")
  run curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary "@$SP_TMP/push.json" -H "X-Hub-Signature-256: sha256=$mac" "http://$bal/starphleet/hooks/git"
  [ "$output" = 202 ]
  for i in 1 2; do
    found=""
    for _ in $(seq 1 20); do
      if "$STARPHLEET" logs --ship "ship$i" --lines 500 --grep 'push hook \(github\)' | grep -q "push hook (github)"; then found=yes; break; fi
      sleep 0.25
    done
    [ "$found" = yes ]
  done
  # A bad signature is refused by the ship that answers.
  bad=$(openssl dgst -sha256 -hmac not-the-secret -r "$SP_TMP/push.json" | cut -d' ' -f1)
  run curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary "@$SP_TMP/push.json" -H "X-Hub-Signature-256: sha256=$bad" "http://$bal/starphleet/hooks/git"
  [ "$output" = 401 ]
}

@test "the phleet dashboard in a browser shows both ships' services and their logs merged; a ship that stops answering is shown so" {
  "$STARPHLEET" dashboard --serve 127.0.0.1:0 --timeout 3 >"$SP_TMP/phleet-dash.out" 2>&1 &
  dash=$!
  url=""
  for _ in $(seq 1 50); do
    url=$(grep -o 'http://127.0.0.1:[0-9]*/login?code=[0-9a-f]*' "$SP_TMP/phleet-dash.out" || true)
    [ -n "$url" ] && break
    sleep 0.1
  done
  cat "$SP_TMP/phleet-dash.out"
  [ -n "$url" ]
  # Without the login: 401, with nothing about the ships.
  base=${url%%/login*}
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/api/phleet")" = 401 ]
  # Once the page showed both, ship2's ssh goes silent (dropped in its own namespace).
  ready="$SP_TMP/phleet-dash.ready"
  ( for _ in $(seq 1 900); do [ -e "$ready" ] && break; sleep 0.1; done
    ip netns exec "spns$NS_TAG-2" iptables -I INPUT -p tcp --dport 22 -j DROP ) &
  blocker=$!
  mkdir -p "$REPO_ROOT/test/artifacts"
  run env READY_FILE="$ready" node "$REPO_ROOT/test/bats/helpers/phleet-dashboard.mjs" "$url" ship1,ship2 /shop "$REPO_ROOT/test/artifacts/phleet-dashboard.png" ship2
  echo "# $output" >&3
  wait "$blocker" || true
  ip netns exec "spns$NS_TAG-2" iptables -D INPUT -p tcp --dport 22 -j DROP 2>/dev/null || true
  kill -TERM "$dash"
  wait "$dash" || true
  [ "$status" -eq 0 ]
  [[ "$output" == *'"heading":"phleet test · 2 of 2 ships answering"'* ]]
  [[ "$output" == *'"downRow":"ship2 '*'UNREACHABLE'* ]]
  [ -s "$REPO_ROOT/test/artifacts/phleet-dashboard.png" ]
}
