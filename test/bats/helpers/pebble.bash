# A private ACME server for HTTPS tests: Debian's Pebble, with
# pebble-challtestsrv as its DNS, answering every name with one address.
# Nothing reaches a public ACME directory.
# usage: load helpers/pebble; pebble_up DIR LISTEN_ADDR HTTP01_PORT ANSWER_ADDR
#        (sets P, ACME_PORT, MGMT_PORT; Pebble's root in $P/root.pem once
#        pebble_root ran); pebble_start again after a test stopped it;
#        pebble_down at the end.

pebble_up() {
  P=$1
  local addr=$2 http01=$3 answer=$4 dns chall
  mkdir -p "$P"
  # Pebble's own TLS: a throwaway CA and a certificate for its address.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$P/ca.key" -out "$P/ca.pem" -days 2 -subj /CN=starphleet-test-acme-ca 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$P/key.pem" -out "$P/srv.csr" -subj "/CN=$addr" 2>/dev/null
  printf 'subjectAltName=IP:%s,DNS:localhost\n' "$addr" >"$P/ext.cnf"
  openssl x509 -req -in "$P/srv.csr" -CA "$P/ca.pem" -CAkey "$P/ca.key" -CAcreateserial -out "$P/cert.pem" -days 2 -extfile "$P/ext.cnf" 2>/dev/null
  ACME_PORT=$(sp_free_port); MGMT_PORT=$(sp_free_port); dns=$(sp_free_port); chall=$(sp_free_port)
  PEBBLE_ADDR=$addr
  # Pebble checks HTTP-01 at HTTP01_PORT of the address its DNS answers.
  printf '{"pebble":{"listenAddress":"%s:%s","managementListenAddress":"%s:%s","certificate":"%s","privateKey":"%s","httpPort":%s,"tlsPort":%s,"ocspResponderURL":"","externalAccountBindingRequired":false}}\n' \
    "$addr" "$ACME_PORT" "$addr" "$MGMT_PORT" "$P/cert.pem" "$P/key.pem" "$http01" "$(sp_free_port)" >"$P/pebble.json"
  echo "$dns" >"$P/dns.port"
  export P ACME_PORT MGMT_PORT PEBBLE_ADDR
  pebble-challtestsrv -defaultIPv4 "$answer" -defaultIPv6 "" -dns01 "127.0.0.1:$dns" -http01 "" -https01 "" -tlsalpn01 "" \
    -management "127.0.0.1:$chall" >"$P/chall.log" 2>&1 &
  echo $! >"$P/chall.pid"
  pebble_start
}

pebble_start() {
  PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 pebble -config "$P/pebble.json" -dnsserver "127.0.0.1:$(cat "$P/dns.port")" >>"$P/pebble.log" 2>&1 &
  echo $! >"$P/pebble.pid"
  local _
  for _ in $(seq 1 50); do
    curl -s --cacert "$P/ca.pem" "https://$PEBBLE_ADDR:$ACME_PORT/dir" >/dev/null && return 0
    sleep 0.1
  done
  echo "pebble did not start" >&2
  cat "$P/pebble.log" >&2
  return 1
}

pebble_stop() {
  kill "$(cat "$P/pebble.pid")" 2>/dev/null || true
  sleep 0.5
}

# pebble_root: Pebble's root (what issued certificates chain to) into $P/root.pem.
pebble_root() {
  curl -s --cacert "$P/ca.pem" "https://$PEBBLE_ADDR:$MGMT_PORT/roots/0" >"$P/root.pem"
  grep -q 'BEGIN CERTIFICATE' "$P/root.pem"
}

pebble_down() {
  local f
  for f in "$P/pebble.pid" "$P/chall.pid"; do [ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
  return 0
}
