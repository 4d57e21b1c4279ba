#!/usr/bin/env bats
# Request metrics from the front door on one real ship: requests of known
# status codes show up as those counts and classes in /starphleet/metrics
# (Prometheus text, parsed) and in `top --json`; a slow route shows in p95;
# memory a service allocates shows in the series.

load helpers/ship

setup_file() {
  sp_init_ship
  sp_repo app "$REPO_ROOT/test/fixtures/services/env-echo" >/dev/null
  sp_hq_init
  sp_orders app 3000 app
  sp_commit hq "env-echo at /app" >/dev/null
  sp_start_ship
}

teardown_file() {
  sp_teardown_ship
}

# prom METRIC LABELS: the value of one series in /starphleet/metrics (0 when absent).
prom() {
  curl -sf -H "Authorization: Bearer $(cat "$SP_ROOT/dashboard.token")" "http://127.0.0.1:$SP_PORT/starphleet/metrics" >"$SP_TMP/metrics.txt"
  node -e '
    const [file, name, labels] = process.argv.slice(1);
    const want = `${name}{${labels}}`;
    const line = require("fs").readFileSync(file, "utf8").split("\n").find((l) => l.startsWith(want + " "));
    console.log(line ? line.slice(want.length + 1) : "0");
  ' "$SP_TMP/metrics.txt" "$1" "$2"
}

@test "requests of known status codes are counted by service and class, in /starphleet/metrics and top --json" {
  run sp_wait_status "/app +online" 120
  [ "$status" -eq 0 ]
  base2=$(prom starphleet_http_requests_total 'service="/app",class="2xx"')
  base4=$(prom starphleet_http_requests_total 'service="/app",class="4xx"')
  for _ in $(seq 1 7); do curl -s -o /dev/null "http://127.0.0.1:$SP_PORT/app/"; done
  for _ in $(seq 1 3); do curl -s -o /dev/null "http://127.0.0.1:$SP_PORT/app/env/NOT_SET_HERE"; done
  sleep 0.5
  [ "$(prom starphleet_http_requests_total 'service="/app",class="2xx"')" -eq $((base2 + 7)) ]
  [ "$(prom starphleet_http_requests_total 'service="/app",class="4xx"')" -eq $((base4 + 3)) ]
  # Without the token: refused.
  run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SP_PORT/starphleet/metrics"
  [ "$output" = 401 ]
  # The histogram is consistent: +Inf bucket = count.
  [ "$(prom starphleet_http_request_duration_seconds_bucket 'service="/app",le="+Inf"')" = "$(prom starphleet_http_request_duration_seconds_count 'service="/app"')" ]
  run "$STARPHLEET" top --root "$SP_ROOT" --json
  [ "$status" -eq 0 ]
  echo "$output" | node -e '
    const d = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const s = d.services.find((x) => x.path === "/app");
    if (s.requests["2xx"] < 7 || s.requests["4xx"] < 3 || s.total !== s.requests["2xx"] + s.requests["4xx"] + s.requests["3xx"] + s.requests["5xx"] + s.requests["1xx"]) throw new Error(JSON.stringify(s));'
  run "$STARPHLEET" top --root "$SP_ROOT"
  [[ "${lines[0]}" == "SERVICE "*"REQ/S"*"P95"*"MEM"*"CPU"*"STREAMS" ]]
  [[ "${lines[1]}" == "/app "* ]]
}

@test "a slow route shows in p95; memory the service allocates shows in the series" {
  for _ in $(seq 1 12); do curl -s -o /dev/null "http://127.0.0.1:$SP_PORT/app/sleep/300" & done
  wait
  # 12 slow requests over fewer fast ones: p95 is at least the 0.5 s bucket.
  run "$STARPHLEET" top --root "$SP_ROOT" --json
  echo "$output" | node -e '
    const s = JSON.parse(require("fs").readFileSync(0, "utf8")).services.find((x) => x.path === "/app");
    if (!(s.p95Seconds >= 0.5)) throw new Error("p95 " + s.p95Seconds);'
  before=$(prom starphleet_container_memory_bytes 'service="/app"')
  [ "$before" -gt 0 ]
  for _ in 1 2; do curl -s -o /dev/null "http://127.0.0.1:$SP_PORT/app/alloc/64"; done
  after=$(prom starphleet_container_memory_bytes 'service="/app"')
  echo "# memory $before -> $after bytes" >&3
  [ "$after" -gt $((before + 100 * 1024 * 1024)) ]
  # A 10 s point closes with the higher memory and the slow requests' p95.
  for _ in $(seq 1 30); do
    run "$STARPHLEET" top --root "$SP_ROOT" --json
    echo "$output" | node -e '
      const s = JSON.parse(require("fs").readFileSync(0, "utf8")).services.find((x) => x.path === "/app");
      const big = s.points.filter((p) => p.memoryBytes > Number(process.argv[1]) + 100 * 1024 * 1024);
      process.exit(big.length > 0 && s.points.some((p) => p.p95Seconds >= 0.25) ? 0 : 1);' "$before" && break
    sleep 1
  done
  echo "$output" | node -e '
    const s = JSON.parse(require("fs").readFileSync(0, "utf8")).services.find((x) => x.path === "/app");
    if (!s.points.some((p) => p.memoryBytes > Number(process.argv[1]) + 100 * 1024 * 1024)) throw new Error(JSON.stringify(s.points));' "$before"
}

@test "open event streams and websockets are counted while they are open: in top --json and /starphleet/metrics" {
  streams() {
    "$STARPHLEET" top --root "$SP_ROOT" --json | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).services.find((x) => x.path === "/app").openStreams)'
  }
  [ "$(streams)" = 0 ]
  # Two event-stream requests that stay open 6 s, and one plain request beside them.
  for _ in 1 2; do curl -s -o /dev/null -H 'Accept: text/event-stream' "http://127.0.0.1:$SP_PORT/app/sleep/6000" & done
  curl -s -o /dev/null "http://127.0.0.1:$SP_PORT/app/sleep/6000" &
  open=""
  for _ in $(seq 1 40); do open=$(streams); [ "$open" = 2 ] && break; sleep 0.1; done
  echo "# open streams: $open" >&3
  [ "$open" = 2 ]
  [ "$(prom starphleet_http_open_streams 'service="/app"')" = 2 ]
  wait
  [ "$(streams)" = 0 ]
}
