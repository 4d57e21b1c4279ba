#!/usr/bin/env bats
# Automatic HTTPS end to end on loopback: a real ACME server (Debian's
# Pebble, with pebble-challtestsrv answering every name with 127.0.0.1), the
# ship's own ACME client (Debian's lego) answering HTTP-01 through the
# ship's nginx, and a service with DOMAINS. Nothing reaches a public ACME
# directory.

load helpers/ship
load helpers/load
load helpers/pebble

# free_port: a free TCP port on 127.0.0.1.
free_port() { sp_free_port; }

setup_file() {
  sp_init_ship
  HTTPS_PORT=$(free_port)
  export HTTPS_PORT
  # Pebble checks HTTP-01 at the ship's own HTTP port; every name is 127.0.0.1.
  pebble_up "$SP_TMP/pebble" 127.0.0.1 "$SP_PORT" 127.0.0.1

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

teardown_file() {
  pebble_down
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
  pebble_root
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

@test "cert list --root on a machine with no phleet profile lists the ship's certificates" {
  mkdir -p "$SP_TMP/no-profile"
  STARPHLEET_HOME="$SP_TMP/no-profile" run "$STARPHLEET" cert list --root "$SP_ROOT"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"shop.test  acme  valid until "* ]]
  STARPHLEET_HOME="$SP_TMP/no-profile" run "$STARPHLEET" cert list --root "$SP_ROOT" --json
  [ "$(echo "$output" | node -p 'const d=JSON.parse(require("fs").readFileSync(0,"utf8")); [String(d.phleet), d.ships[0].certs[0].domain, d.ships[0].certs[0].source].join(" ")')" = "null shop.test acme" ]
}

@test "the ACME server gone: cert renew fails with the reason, status shows it, the served certificate stays" {
  before=$(serial)
  pebble_stop
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
  pebble_start
}
