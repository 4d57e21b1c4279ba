#!/usr/bin/env bats
# Automatic HTTPS end to end on loopback: a real ACME server (Debian's
# Pebble, with pebble-challtestsrv answering every name with 127.0.0.1), the
# ship's own ACME client (Debian's lego) answering HTTP-01 through the
# ship's nginx, and a service with DOMAINS. Nothing reaches a public ACME
# directory.

load helpers/ship
load helpers/load

# free_port: a free TCP port on 127.0.0.1.
free_port() { sp_free_port; }

setup_file() {
  sp_init_ship
  P="$SP_TMP/pebble"
  mkdir -p "$P"
  # Pebble's own TLS: a throwaway CA and a certificate for 127.0.0.1.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$P/ca.key" -out "$P/ca.pem" -days 2 -subj /CN=starphleet-test-acme-ca 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$P/key.pem" -out "$P/srv.csr" -subj /CN=127.0.0.1 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$P/ext.cnf"
  openssl x509 -req -in "$P/srv.csr" -CA "$P/ca.pem" -CAkey "$P/ca.key" -CAcreateserial -out "$P/cert.pem" -days 2 -extfile "$P/ext.cnf" 2>/dev/null
  ACME_PORT=$(free_port); MGMT_PORT=$(free_port); DNS_PORT=$(free_port); CHALL_MGMT=$(free_port); HTTPS_PORT=$(free_port)
  # Pebble checks HTTP-01 at the ship's own HTTP port.
  printf '{"pebble":{"listenAddress":"127.0.0.1:%s","managementListenAddress":"127.0.0.1:%s","certificate":"%s","privateKey":"%s","httpPort":%s,"tlsPort":%s,"ocspResponderURL":"","externalAccountBindingRequired":false}}\n' \
    "$ACME_PORT" "$MGMT_PORT" "$P/cert.pem" "$P/key.pem" "$SP_PORT" "$(free_port)" >"$P/pebble.json"
  export P ACME_PORT MGMT_PORT DNS_PORT CHALL_MGMT HTTPS_PORT
  pebble-challtestsrv -defaultIPv6 "" -dns01 "127.0.0.1:$DNS_PORT" -http01 "" -https01 "" -tlsalpn01 "" \
    -management "127.0.0.1:$CHALL_MGMT" >"$P/chall.log" 2>&1 &
  echo $! >"$P/chall.pid"
  start_pebble

  cp -a "$REPO_ROOT/test/fixtures/services/node-api/." "$SP_TMP/src-shop/"
  sed -i "s/api v1/shop v1/" "$SP_TMP/src-shop/server.js"
  sp_repo shop "$SP_TMP/src-shop" >/dev/null
  sp_hq_init
  sp_orders shop 3000 shop 'export DOMAINS="shop.test" HSTS=1'
  sp_commit hq "a service with a domain" >/dev/null
  STARPHLEET_ACME_CA="$P/ca.pem" sp_start_ship --https-port "$HTTPS_PORT" \
    --acme-directory "https://127.0.0.1:$ACME_PORT/dir" --acme-email test@example.com
  sp_wait_body /shop/ "shop v1" 120 >/dev/null
}

start_pebble() {
  PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 pebble -config "$P/pebble.json" -dnsserver "127.0.0.1:$DNS_PORT" >>"$P/pebble.log" 2>&1 &
  echo $! >"$P/pebble.pid"
  local _
  for _ in $(seq 1 50); do
    curl -s --cacert "$P/ca.pem" "https://127.0.0.1:$ACME_PORT/dir" >/dev/null && return 0
    sleep 0.1
  done
  echo "pebble did not start" >&2
  cat "$P/pebble.log" >&2
  return 1
}

teardown_file() {
  for f in "$P/pebble.pid" "$P/chall.pid"; do [ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
  sp_teardown_ship
}

# https_get PATH [CURL ARGS]: GET https://shop.test:PORT PATH, verified against Pebble's root.
https_get() {
  local path=$1
  shift
  curl -s --max-time 10 --cacert "$P/root.pem" --resolve "shop.test:$HTTPS_PORT:127.0.0.1" "$@" "https://shop.test:$HTTPS_PORT$path"
}

# serial: the serial number of the certificate the ship serves for shop.test.
serial() {
  openssl s_client -connect "127.0.0.1:$HTTPS_PORT" -servername shop.test </dev/null 2>/dev/null | openssl x509 -noout -serial
}

# cert_field EXPR: a field of shop.test's entry in status --json's ship.certs (in terms of c).
cert_field() {
  "$STARPHLEET" status --root "$SP_ROOT" --json | node -e '
    const d = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const c = (d.ship.certs || []).find((x) => x.domain === "shop.test");
    console.log(c ? String(eval(process.argv[1])) : "missing");
  ' "$1"
}

wait_cert() {
  local deadline=$((SECONDS + ${2:-60})) v
  while :; do
    v=$(cert_field "$1")
    [ "$v" = "$3" ] && return 0
    [ "$SECONDS" -ge "$deadline" ] && { echo "cert $1 is '$v', not '$3'" >&2; tail -n 20 "$SP_TMP/agent.log" >&2; return 1; }
    sleep 0.5
  done
}

@test "a service with DOMAINS gets a certificate; HTTPS answers with a chain that verifies against the ACME CA's root, with HSTS" {
  wait_cert c.state 90 valid
  # Pebble's root, from its management API (itself over TLS with the test CA).
  curl -s --cacert "$P/ca.pem" "https://127.0.0.1:$MGMT_PORT/roots/0" >"$P/root.pem"
  grep -q 'BEGIN CERTIFICATE' "$P/root.pem"
  run https_get /x?y=1
  echo "$output"
  [[ "$output" == "shop v1 GET /x?y=1 "* ]]
  run https_get / -D - -o /dev/null
  [[ "$output" == *"strict-transport-security: max-age=31536000"* || "$output" == *"Strict-Transport-Security: max-age=31536000"* ]]
  echo "# $(cert_field 'c.domain + " valid until " + c.notAfter')" >&3
}

@test "plain HTTP to the domain redirects (308) to HTTPS at that name and port, never the request's Host; the challenge path excepted" {
  run curl -s -o /dev/null -w '%{http_code} %header{location}' -H 'Host: shop.test' "http://127.0.0.1:$SP_PORT/a/b?c=1"
  [ "$output" = "308 https://shop.test:$HTTPS_PORT/a/b?c=1" ]
  run curl -s -o /dev/null -w '%{http_code}' -H 'Host: shop.test' "http://127.0.0.1:$SP_PORT/.well-known/acme-challenge/none"
  [ "$output" = 404 ]
  # Other names, and the ship's address, keep the plain path tree.
  run curl -s "http://127.0.0.1:$SP_PORT/shop/"
  [[ "$output" == "shop v1 "* ]]
}

@test "the key is sealed at rest: in plaintext only on the root-only tmpfs nginx reads" {
  key="$SP_ROOT/tls/live/shop.test.key"
  [ -s "$key" ]
  [ "$(findmnt -n -o FSTYPE --target "$SP_ROOT/tls")" = tmpfs ]
  [ "$(stat -c '%a %U' "$SP_ROOT/tls")" = "700 root" ]
  body=$(grep -v -- '-----' "$key" | head -n 1)
  [ -n "$body" ]
  run grep -rlF -e "$body" "$SP_ROOT" --exclude-dir=tls
  [ "$status" -ne 0 ]
  run grep -rlF -e "$body" "$SP_TMP/agent.log"
  [ "$status" -ne 0 ]
  node -e 'const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); if (!c.key.ct || c.key.ct.includes("PRIVATE")) process.exit(1)' "$SP_ROOT/certs/shop.test.json"
}

@test "cert renew orders a new certificate; nginx picks it up under a keep-alive HTTPS load without one failure" {
  before=$(serial)
  LOAD_HOST=shop.test LOAD_CA="$P/root.pem" LOAD_STOP_FILE="$SP_TMP/stop-renew" \
    node "$REPO_ROOT/test/bats/helpers/load.mjs" "https://127.0.0.1:$HTTPS_PORT/" 60 4 >"$SP_TMP/load.json" 2>"$SP_TMP/load.err" &
  echo $! >"$SP_TMP/load.pid"
  sleep 1
  run "$STARPHLEET" cert renew shop.test --root "$SP_ROOT"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == "certificate for shop.test renewed, valid until "* ]]
  sleep 1
  [ "$(serial)" != "$before" ]
  load_finish "$SP_TMP/stop-renew"
}

@test "an agent restart serves the stored certificate without ordering another" {
  issued=$(node -p 'require(process.argv[1]).issuedAt' "$SP_ROOT/certs/shop.test.json")
  before=$(serial)
  kill -9 "$(cat "$SP_TMP/agent.pid")"
  STARPHLEET_ACME_CA="$P/ca.pem" sp_start_ship --https-port "$HTTPS_PORT" \
    --acme-directory "https://127.0.0.1:$ACME_PORT/dir" --acme-email test@example.com
  wait_cert c.state 30 valid
  sleep 3
  [ "$(node -p 'require(process.argv[1]).issuedAt' "$SP_ROOT/certs/shop.test.json")" = "$issued" ]
  [ "$(serial)" = "$before" ]
  run https_get /
  [[ "$output" == "shop v1 "* ]]
}

@test "the ACME server gone: cert renew fails with the reason, status shows it, the served certificate stays" {
  before=$(serial)
  kill "$(cat "$P/pebble.pid")"
  sleep 0.5
  run "$STARPHLEET" cert renew shop.test --root "$SP_ROOT"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"cert renew shop.test: "*"connection refused"* ]]
  [ "$(cert_field c.state)" = failed ]
  [ "$(cert_field 'c.error !== null')" = true ]
  run "$STARPHLEET" status --root "$SP_ROOT"
  [[ "$output" == *"cert shop.test ERROR "*"serving the one valid until "* ]]
  [ "$(serial)" = "$before" ]
  run https_get /
  [[ "$output" == "shop v1 "* ]]
  start_pebble
}
