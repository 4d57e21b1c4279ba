#!/usr/bin/env bats
# The buildpacks, buildpack-detect, build-in-container and app-start, run for
# real on the host (no container) in temp dirs. Servers listen on free ports
# of 127.0.0.1 only and are killed in teardown. The nodejs tests reach the
# npm registry (dependencies, engines.node); nothing else leaves the host.
# Single quotes around $VARs are on purpose (they expand later, elsewhere);
# $stderr is set by bats' `run --separate-stderr`.
# shellcheck disable=SC2016,SC2154

bats_require_minimum_version 1.5.0

setup() {
  ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
  PACKS="$ROOT/buildpacks"
  SH="$ROOT/lib/sh/container"
  EXAMPLES="$ROOT/examples/services"
  # Readable by uid 10000 (static-web and app-start run as that user).
  T=$(mktemp -d /tmp/starphleet-buildpacks.XXXXXX)
  chmod 755 "$T"
  mkdir -m 1777 "$T/tmp"
  export TMPDIR="$T/tmp"
  if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
  fi
}

teardown() {
  local pid
  if [ -f "$T/pids" ]; then
    while read -r pid; do
      kill -TERM -- "-$pid" 2>/dev/null || true
    done <"$T/pids"
    sleep 0.2
    while read -r pid; do
      kill -KILL -- "-$pid" 2>/dev/null || true
    done <"$T/pids"
  fi
  rm -rf "$T"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# app DIR FILE...: a fixture app folder with the named (empty) files.
app() {
  local dir="$T/$1" file
  shift
  mkdir -p "$dir"
  for file in "$@"; do
    : >"$dir/$file"
  done
  echo "$dir"
}

# web_of RELEASE_YAML: the default web command a bin/release printed.
web_of() {
  local web
  web=$(sed -n 's/^  web: *//p' "$1")
  # A JSON (so YAML) string, as the nodejs pack prints it.
  if [[ $web == \"* ]]; then node -e 'console.log(JSON.parse(process.argv[1]))' "$web"; else printf '%s\n' "$web"; fi
}

# serve APP_DIR WEB_COMMAND PORT [PREFIX...]: start the app in the background,
# in its own process group, the way app-start does (HOME=APP_DIR, .profile.d
# sourced, `bash -c WEB`), bound to 127.0.0.1. PREFIX (e.g. a setpriv
# command) runs the whole thing. Output goes to $T/server.log.
serve() {
  local dir=$1 web=$2 port=$3
  shift 3
  (
    cd "$dir" || exit 1
    exec setsid "$@" env HOME="$dir" PORT="$port" HOST=127.0.0.1 TMPDIR="$T/tmp" bash -c '
      set -a
      for f in "$HOME"/.profile.d/*.sh; do [ -f "$f" ] && . "$f"; done
      set +a
      exec bash -c "$1"' serve "$web"
  ) >"$T/server.log" 2>&1 3>&- &
  echo "$!" >>"$T/pids"
}

# get PORT [PATH]: the body, after waiting up to 15 s for the server.
get() {
  local _
  for _ in $(seq 150); do
    if curl --noproxy '*' -fsS -o "$T/body" "http://127.0.0.1:$1${2:-/}" 2>/dev/null; then
      cat "$T/body"
      return 0
    fi
    sleep 0.1
  done
  echo "no answer on 127.0.0.1:$1 ; server log:" >&2
  cat "$T/server.log" >&2
  return 1
}

status_of() {
  curl --noproxy '*' -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1$2"
}

need_root() {
  [ "$(id -u)" -eq 0 ] || skip "needs root (setpriv to uid 10000)"
}

# --- detection -------------------------------------------------------------

@test "order file lists the packs in the fixed order" {
  run cat "$PACKS/order"
  [ "$output" = "$(printf '%s\n' nodejs python ruby go php play scala clojure java dart perl apache static procfile)" ]
}

@test "detect: package.json beats index.html" {
  run "$SH/buildpack-detect" "$(app a package.json index.html)" "$PACKS"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'nodejs\tNode.js')" ]
}

@test "detect: index.html alone is a static site" {
  run "$SH/buildpack-detect" "$(app a index.html)" "$PACKS"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'static\tStatic HTML')" ]
}

@test "detect: index.html with a Procfile is a Procfile app" {
  dir=$(app a index.html)
  echo 'web: ./run' >"$dir/Procfile"
  run "$SH/buildpack-detect" "$dir" "$PACKS"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'procfile\tProcfile')" ]
}

@test "detect: python markers, and python before static" {
  for marker in requirements.txt setup.py pyproject.toml Pipfile app.py main.py; do
    run "$SH/buildpack-detect" "$(app "$marker" "$marker" index.html)" "$PACKS"
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf 'python\tPython')" ]
  done
  run "$SH/buildpack-detect" "$(app both package.json requirements.txt)" "$PACKS"
  [ "$output" = "$(printf 'nodejs\tNode.js')" ]
}

@test "detect: other app markers keep index.html from being static" {
  run "$SH/buildpack-detect" "$(app rust Cargo.toml index.html)" "$PACKS"
  [ "$status" -eq 1 ]
}

@test "detect: a Procfile without a web line is not enough" {
  dir=$(app a)
  echo 'worker: ./work' >"$dir/Procfile"
  run "$SH/buildpack-detect" "$dir" "$PACKS"
  [ "$status" -eq 1 ]
}

@test "detect: nothing detected is one clear line and exit 1" {
  run --separate-stderr "$SH/buildpack-detect" "$(app empty)" "$PACKS"
  [ "$status" -eq 1 ]
  [ "$output" = "" ]
  [ "$stderr" = "no buildpack detected for this app (tried: nodejs python ruby go php play scala clojure java dart perl apache static procfile)" ]
}

@test "detect: usage error" {
  run "$SH/buildpack-detect" "$T"
  [ "$status" -eq 2 ]
  [[ "$output" == usage:* ]]
}

@test "release: default web commands" {
  # No package.json to read: npm start. With one, its start script itself (no npm left resident)…
  run "$PACKS/nodejs/bin/release" "$T"
  [[ "$output" == *"default_process_types:"* && "$output" == *'  web: "npm start"'* ]]
  dir=$(app node-start package.json)
  echo '{"scripts":{"start":"node index.js --port \"$PORT\""}}' >"$dir/package.json"
  run "$PACKS/nodejs/bin/release" "$dir"
  [[ "$output" == *'  web: "node index.js --port \"$PORT\""'* ]]
  echo '{"scripts":{}}' >"$dir/package.json"
  : >"$dir/server.js"
  run "$PACKS/nodejs/bin/release" "$dir"
  [[ "$output" == *'  web: "node server.js"'* ]]
  # …unless the start needs npm: a prestart script, or npm's environment.
  echo '{"scripts":{"start":"node a.js","prestart":"node b.js"}}' >"$dir/package.json"
  run "$PACKS/nodejs/bin/release" "$dir"
  [[ "$output" == *'  web: "npm start"'* ]]
  echo '{"scripts":{"start":"node a.js $npm_package_version"}}' >"$dir/package.json"
  run "$PACKS/nodejs/bin/release" "$dir"
  [[ "$output" == *'  web: "npm start"'* ]]
  # compile's answer (.heroku/starphleet-web) while package.json is as it read
  # it, "needs npm" included; once package.json changed, release asks node again.
  echo '{"scripts":{"start":"node a.js"}}' >"$dir/package.json"
  mkdir -p "$dir/.heroku"
  key=$(bash -c '. "$1"; web_command_key "$2"' _ "$PACKS/nodejs/lib/web-command-key.sh" "$dir")
  printf '%s\t%s\n' "$key" '"node from-compile.js"' >"$dir/.heroku/starphleet-web"
  run "$PACKS/nodejs/bin/release" "$dir"
  [[ "$output" == *'  web: "node from-compile.js"'* ]]
  printf '%s\t\n' "$key" >"$dir/.heroku/starphleet-web"
  run "$PACKS/nodejs/bin/release" "$dir"
  [[ "$output" == *'  web: "npm start"'* ]]
  echo '{"scripts":{"start":"node b.js"}}' >"$dir/package.json"
  run "$PACKS/nodejs/bin/release" "$dir"
  [[ "$output" == *'  web: "node b.js"'* ]]
  run "$PACKS/static/bin/release" "$T"
  [[ "$output" == *"  web: .starphleet/static-web"* ]]
  run "$PACKS/procfile/bin/release" "$T"
  [[ "$output" == *"default_process_types: {}"* ]]
  dir=$(app py main.py)
  run "$PACKS/python/bin/release" "$dir"
  [[ "$output" == *"  web: python3 main.py"* ]]
  : >"$dir/app.py"
  run "$PACKS/python/bin/release" "$dir"
  [[ "$output" == *"  web: python3 app.py"* ]]
  run "$PACKS/python/bin/release" "$(app nomain requirements.txt)"
  [[ "$output" == *"default_process_types: {}"* ]]
}

# --- nodejs ------------------------------------------------------------------

@test "nodejs: node-hello compiles (npm ci) and serves its body" {
  build="$T/build_node"
  cp -r "$EXAMPLES/node-hello" "$build"
  run "$PACKS/nodejs/bin/compile" "$build" "$T/cache" "$T/env-empty"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"-----> Installing dependencies (npm ci)"* ]]
  [ -f "$build/node_modules/ms/package.json" ]
  [ -d "$T/cache/npm" ]
  # the build path is never baked into the runtime profile
  run grep -rF "$build" "$build/.profile.d"
  [ "$status" -eq 1 ]
  "$PACKS/nodejs/bin/release" "$build" >"$T/release.yml"
  # compile worked the web command out already (release reuses it): the same answer
  [ "$(cut -f2 "$build/.heroku/starphleet-web")" = '"node server.js"' ]
  [ "$(web_of "$T/release.yml")" = "node server.js" ]
  port=$(free_port)
  serve "$build" "$(web_of "$T/release.yml")" "$port"
  run get "$port"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Hello from Starphleet"* ]]
  [[ "$output" == *"86400000"* ]] # ms('1d'), from the dependency
  # SIGTERM to the web process (npm) alone reaches the app: all of it exits
  pid=$(tail -n 1 "$T/pids")
  kill -TERM "$pid"
  for _ in $(seq 50); do
    pgrep -g "$pid" >/dev/null || break
    sleep 0.1
  done
  run pgrep -g "$pid"
  [ "$status" -eq 1 ]
}

@test "nodejs: a commit that changes neither package.json nor the lockfile reuses the installed dependencies; a changed one installs again" {
  for n in 1 2 3; do cp -r "$EXAMPLES/node-hello" "$T/build_reuse$n"; done
  run "$PACKS/nodejs/bin/compile" "$T/build_reuse1" "$T/cache-reuse" "$T/env-empty"
  [ "$status" -eq 0 ]
  [[ "$output" == *"-----> Installing dependencies (npm ci)"* ]]
  # Only the app's own code changed: the tree is copied back, not installed.
  echo "// changed" >>"$T/build_reuse2/server.js"
  run "$PACKS/nodejs/bin/compile" "$T/build_reuse2" "$T/cache-reuse" "$T/env-empty"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"-----> Reusing the installed dependencies"* ]]
  [[ "$output" != *"npm ci"* ]]
  diff -r "$T/build_reuse1/node_modules" "$T/build_reuse2/node_modules"
  # package.json changed: a real install.
  sed -i 's/"description": "/"description": "changed: /' "$T/build_reuse3/package.json"
  run "$PACKS/nodejs/bin/compile" "$T/build_reuse3" "$T/cache-reuse" "$T/env-empty"
  [ "$status" -eq 0 ]
  [[ "$output" == *"-----> Installing dependencies (npm ci)"* ]]
}

@test "nodejs: a package with no dependencies and no install scripts skips npm; one with a postinstall script still runs it" {
  mkdir -p "$T/build_none" "$T/build_hook"
  printf '{ "name": "none", "version": "1.0.0", "scripts": { "start": "node -e 1" } }\n' >"$T/build_none/package.json"
  run "$PACKS/nodejs/bin/compile" "$T/build_none" "$T/cache-none" "$T/env-empty"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"-----> No dependencies to install"* ]]
  [[ "$output" != *"npm install"* ]]
  printf '{ "name": "hook", "version": "1.0.0", "scripts": { "postinstall": "echo ran >postinstall.txt" } }\n' >"$T/build_hook/package.json"
  run "$PACKS/nodejs/bin/compile" "$T/build_hook" "$T/cache-hook" "$T/env-empty"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"-----> Installing dependencies (npm install)"* ]]
  [ "$(cat "$T/build_hook/postinstall.txt")" = "ran" ]
}

@test "nodejs: devDependencies for the build, pruned after; heroku-postbuild wins over build" {
  build="$T/build_dev"
  mkdir -p "$build"
  cat >"$build/package.json" <<'EOF'
{
  "name": "dev-fixture",
  "version": "1.0.0",
  "devDependencies": { "ms": "2.1.3" },
  "scripts": {
    "build": "echo build >ran.txt",
    "heroku-postbuild": "node -e \"require('fs').writeFileSync('ran.txt', 'postbuild ' + require('ms')('1h'))\""
  }
}
EOF
  run "$PACKS/nodejs/bin/compile" "$build" "$T/cache" "$T/env-empty"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"-----> Installing dependencies (npm install)"* ]]
  [ "$(cat "$build/ran.txt")" = "postbuild 3600000" ]
  [ ! -e "$build/node_modules/ms" ]
}

@test "nodejs: the build script runs when there is no heroku-postbuild; ENV_DIR is exported" {
  build="$T/build_script"
  mkdir -p "$build" "$T/env"
  echo 'from the env dir' >"$T/env/GREETING"
  cat >"$build/package.json" <<'EOF'
{ "name": "b", "version": "1.0.0", "scripts": { "build": "echo \"$GREETING\" >ran.txt" } }
EOF
  run "$PACKS/nodejs/bin/compile" "$build" "$T/cache" "$T/env"
  [ "$status" -eq 0 ]
  [ "$(cat "$build/ran.txt")" = "from the env dir" ]
}

@test "nodejs: a failing build is a clear error line and a non-zero exit" {
  build="$T/build_fail"
  mkdir -p "$build"
  echo '{ "name": "f", "version": "1.0.0", "scripts": { "build": "exit 3" } }' >"$build/package.json"
  run --separate-stderr "$PACKS/nodejs/bin/compile" "$build" "$T/cache" "$T/env-empty"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"!     the build script failed (exit 3)"* ]]
  echo '{ not json' >"$build/package.json"
  run --separate-stderr "$PACKS/nodejs/bin/compile" "$build" "$T/cache" "$T/env-empty"
  [ "$status" -eq 1 ]
  [[ "$stderr" == "!     package.json is not valid JSON"* ]]
}

@test "nodejs: engines.node installs that node into .heroku/node and builds with it" {
  build="$T/build_engines"
  mkdir -p "$build"
  cat >"$build/package.json" <<'EOF'
{
  "name": "engines-fixture",
  "version": "1.0.0",
  "engines": { "node": "22.x" },
  "scripts": { "build": "node -e \"require('fs').writeFileSync('built-with.txt', process.version)\"" }
}
EOF
  run "$PACKS/nodejs/bin/compile" "$build" "$T/cache" "$T/env-empty"
  echo "$output"
  [ "$status" -eq 0 ]
  run "$build/.heroku/node/bin/node" --version
  [[ "$output" == v22.* ]]
  [[ "$(cat "$build/built-with.txt")" == v22.* ]]
  # at run time the profile puts it first on PATH (HOME is the app folder)
  run env HOME="$build" bash -c '. "$HOME/.profile.d/nodejs.sh"; node --version'
  [[ "$output" == v22.* ]]
}

# --- python ------------------------------------------------------------------

@test "python: stdlib app compiles without pip and serves" {
  build="$T/build_py"
  cp -r "$EXAMPLES/python-hello" "$build"
  # requirements.txt has only a comment: python3/pip must not even be run
  mkdir -p "$T/fakebin"
  printf '#!/bin/sh\necho "python3 was run" >&2\nexit 99\n' >"$T/fakebin/python3"
  run env PATH="$T/fakebin:$PATH" \
    "$PACKS/python/bin/compile" "$build" "$T/cache" "$T/env-empty"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"No requirements to install"* ]]
  [ ! -e "$build/.heroku/python-packages" ]
  grep -q 'PYTHONPATH="$HOME/.heroku/python-packages' "$build/.profile.d/python.sh"
  "$PACKS/python/bin/release" "$build" >"$T/release.yml"
  [ "$(web_of "$T/release.yml")" = "python3 app.py" ]
  port=$(free_port)
  serve "$build" "python3 app.py" "$port"
  run get "$port"
  [ "$status" -eq 0 ]
  [[ "$output" == "Hello from Starphleet (Python "* ]]
}

@test "python: a requirement pip cannot get fails with one line naming it" {
  build="$T/build_pyreq"
  mkdir -p "$build"
  printf '# deps\n\nstarphleet-no-such-package-xyz==1.0\n' >"$build/requirements.txt"
  # no retries against an index that is not there: fail fast
  run --separate-stderr env PIP_RETRIES=0 PIP_TIMEOUT=5 \
    "$PACKS/python/bin/compile" "$build" "$T/cache" "$T/env-empty"
  echo "$output"
  echo "$stderr"
  [ "$status" -eq 1 ]
  [ "$(printf '%s\n' "$stderr" | grep -c '^!')" -eq 1 ]
  [[ "$stderr" == "!     could not install requirement 'starphleet-no-such-package-xyz==1.0' ("*")" ]]
}

# --- static ------------------------------------------------------------------

@test "python: a requirement neither pip nor the Aptfile provides fails naming it and the Debian package that has it" {
  build=$(app py_hint app.py)
  printf 'arrow\n' >"$build/requirements.txt"
  # pip sees no index at all (no config file: this machine may have one of its own).
  run --separate-stderr env PIP_CONFIG_FILE=/dev/null PIP_INDEX_URL=http://127.0.0.1:9/simple PIP_RETRIES=0 "$PACKS/python/bin/compile" "$build" "$T/cache" "$T/env-empty"
  echo "$stderr"
  [ "$status" -eq 1 ]
  [ "$stderr" = "!     could not install requirement 'arrow' (no package index reachable); Debian packages it: add python3-arrow to an Aptfile" ]
}

@test "static: the start script serves the site as uid 10000, dot-files hidden" {
  need_root
  build="$T/build_static"
  cp -r "$EXAMPLES/static-site" "$build"
  echo 'SECRET=do-not-serve' >"$build/.env"
  run "$PACKS/static/bin/compile" "$build" "$T/cache" "$T/env-empty"
  [ "$status" -eq 0 ]
  [ -x "$build/.starphleet/static-web" ]
  "$PACKS/static/bin/release" "$build" >"$T/release.yml"
  chown -R 10000:10000 "$build"
  port=$(free_port)
  serve "$build" "$(web_of "$T/release.yml")" "$port" setpriv --reuid=10000 --regid=10000 --clear-groups
  run get "$port"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Starphleet static site"* ]]
  [ "$(status_of "$port" /.env)" = 404 ]
  [ "$(status_of "$port" /.starphleet/static-web)" = 404 ]
  [ "$(status_of "$port" /.profile.d/x.sh)" = 404 ]
  [ "$(status_of "$port" /index.html)" = 200 ]
  # nginx writes its access line after the answer is sent: wait for it.
  for _ in $(seq 1 50); do
    grep -q '"GET /index.html HTTP/1.1" 200' "$T/server.log" && break
    sleep 0.1
  done
  grep -q '"GET /index.html HTTP/1.1" 200' "$T/server.log"
}

# --- build-in-container ------------------------------------------------------

@test "build-in-container: detects, compiles and records release + buildpack" {
  build="$T/build_bic"
  cp -r "$EXAMPLES/static-site" "$build"
  run "$SH/build-in-container" "$build" "$T/cache" "" "$T/meta" "$PACKS"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"-----> Static HTML app detected"* ]]
  [ "$(cat "$T/meta/buildpack")" = static ]
  [ "$(web_of "$T/meta/release.yml")" = ".starphleet/static-web" ]
  [ -x "$build/.starphleet/static-web" ]
  [ -d "$T/cache/home" ]
}

@test "build-in-container: a Procfile app builds and its web line serves" {
  build="$T/build_procfile"
  cp -r "$EXAMPLES/procfile-hello" "$build"
  run "$SH/build-in-container" "$build" "$T/cache" "" "$T/meta" "$PACKS"
  [ "$status" -eq 0 ]
  [ "$(cat "$T/meta/buildpack")" = procfile ]
  web=$(sed -n 's/^web: *//p' "$build/Procfile")
  port=$(free_port)
  serve "$build" "$web" "$port"
  run get "$port"
  [ "$output" = "Procfile says hello from Starphleet" ]
}

@test "build-in-container: .buildpacks runs nodejs, then static, which serves the node build's dist/" {
  need_root
  build="$T/build_multi"
  mkdir -p "$build"
  echo '{"name":"front","version":"1.0.0","scripts":{"build":"mkdir -p dist && echo built-by-node >dist/index.html"}}' >"$build/package.json"
  printf '# a front end built by node, served by nginx\nnodejs\n\nstatic\n' >"$build/.buildpacks"
  run "$SH/build-in-container" "$build" "$T/cache" "" "$T/meta" "$PACKS"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"-----> Buildpack 1 of 2: Node.js (nodejs)"*"-----> Buildpack 2 of 2: static (static)"*"serves dist/ of the app"* ]]
  [ "$(cat "$T/meta/buildpack")" = nodejs+static ]
  [ "$(web_of "$T/meta/release.yml")" = ".starphleet/static-web" ]
  chown -R 10000:10000 "$build"
  port=$(free_port)
  serve "$build" .starphleet/static-web "$port" setpriv --reuid=10000 --regid=10000 --clear-groups
  run get "$port"
  [ "$output" = built-by-node ]
  [ "$(status_of "$port" /package.json)" = 404 ]
}

@test "build-in-container: .buildpacks naming a pack that is not there fails before any compile, naming the line" {
  build="$T/build_multi_bad"
  mkdir -p "$build"
  echo '{"name":"x","version":"1.0.0"}' >"$build/package.json"
  printf 'nodejs\nnosuch\n' >"$build/.buildpacks"
  run "$SH/build-in-container" "$build" "$T/cache" "" "$T/meta" "$PACKS"
  [ "$status" -eq 1 ]
  [[ "$output" == "!     .buildpacks line 2: no built-in pack 'nosuch' (there are: nodejs python "* ]]
  [[ "$output" != *"Buildpack 1 of 2"* ]]
}

@test "static: a document root that leads out of the app is refused" {
  build=$(app static_escape index.html)
  ln -s / "$build/out"
  mkdir -p "$T/env"
  echo out >"$T/env/STATIC_ROOT"
  run --separate-stderr "$PACKS/static/bin/compile" "$build" "$T/cache" "$T/env"
  [ "$status" -eq 1 ]
  [ "$stderr" = "!     the document root 'out' leads out of the app" ]
  echo ../x >"$T/env/STATIC_ROOT"
  run --separate-stderr "$PACKS/static/bin/compile" "$build" "$T/cache" "$T/env"
  [ "$stderr" = "!     STATIC_ROOT '../x' must be a folder inside the app" ]
}

@test "build-in-container: APP_BASE builds that folder of a monorepo; without it, the error lists the folders that would build" {
  build="$T/build_mono"
  mkdir -p "$build/apps/web" "$build/apps/api" "$build/docs" "$T/env"
  cp -r "$EXAMPLES/procfile-hello/." "$build/apps/web/"
  echo flask >"$build/apps/api/requirements.txt"
  echo readme >"$build/README.md"
  run "$SH/build-in-container" "$build" "$T/cache" "" "$T/meta" "$PACKS"
  [ "$status" -eq 1 ]
  [[ "$output" == *"no buildpack detected for this app (tried: "*"); these folders would build: apps/api (python), apps/web (procfile) (export APP_BASE=FOLDER in the orders)" ]]
  echo apps/web >"$T/env/APP_BASE"
  run "$SH/build-in-container" "$build" "$T/cache" "$T/env" "$T/meta" "$PACKS"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"-----> Building the repo's apps/web/ (APP_BASE)"* ]]
  [ "$(cat "$T/meta/buildpack")" = procfile ]
  [ -f "$build/Procfile" ]
  [ ! -e "$build/apps" ] && [ ! -e "$build/README.md" ]
  echo apps/nothere >"$T/env/APP_BASE"
  mkdir -p "$T/build_mono2"
  cp -r "$EXAMPLES/procfile-hello/." "$T/build_mono2/"
  run "$SH/build-in-container" "$T/build_mono2" "$T/cache" "$T/env" "$T/meta" "$PACKS"
  [ "$status" -eq 1 ]
  [ "$output" = "!     APP_BASE apps/nothere: no such folder in the repo" ]
}

@test "build-in-container: nothing detected fails with one clear line" {
  run --separate-stderr "$SH/build-in-container" "$(app nothing)" "$T/cache" "" "$T/meta" "$PACKS"
  [ "$status" -eq 1 ]
  [ "$stderr" = "!     no buildpack detected for this app (tried: nodejs python ruby go php play scala clojure java dart perl apache static procfile)" ]
  [ ! -e "$T/meta/buildpack" ]
}

# A git repo holding a trivial custom pack; each commit writes its VERSION.
make_custom_pack() {
  local repo="$T/custom-pack"
  mkdir -p "$repo/bin"
  cat >"$repo/bin/detect" <<'EOF'
#!/usr/bin/env bash
echo "Custom Thing"
EOF
  cat >"$repo/bin/compile" <<'EOF'
#!/usr/bin/env bash
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
echo "-----> custom compile $(cat "$here/VERSION")"
cp "$here/VERSION" "$1/built-by"
EOF
  cat >"$repo/bin/release" <<'EOF'
#!/usr/bin/env bash
printf -- '---\ndefault_process_types:\n  web: cat built-by\n'
EOF
  chmod +x "$repo/bin/"*
  git_() { git -C "$repo" -c user.name=test -c user.email=test@example.invalid "$@"; }
  git init -q -b main "$repo"
  echo v1 >"$repo/bin/VERSION"
  git_ add -A && git_ commit -qm v1 && git_ tag v1
  echo v2 >"$repo/bin/VERSION"
  git_ commit -qam v2
  git_ checkout -q -b beta
  echo v3 >"$repo/bin/VERSION"
  git_ commit -qam v3
  git_ checkout -q -b broken
  printf '#!/usr/bin/env bash\necho "about to fail"\nexit 3\n' >"$repo/bin/compile"
  git_ commit -qam broken
  git_ checkout -q main
  echo "$repo"
}

# build_with BUILDPACK_URL: a fresh app whose .env names that pack.
build_with() {
  local build
  build=$(mktemp -d "$T/build_XXXX")
  echo '<p>not static this time</p>' >"$build/index.html"
  printf '# comment\nOTHER=1\nBUILDPACK_URL=%s\n' "$1" >"$build/.env"
  rm -rf "$T/meta"
  "$SH/build-in-container" "$build" "$T/cache" "" "$T/meta" "$PACKS" >"$T/build.log" 2>&1 || return
  cat "$build/built-by"
}

@test "build-in-container: BUILDPACK_URL in .env, with #tag, #branch, #sha or none" {
  repo=$(make_custom_pack)
  v1=$(git -C "$repo" rev-parse v1)

  run build_with "file://$repo#v1"
  [ "$status" -eq 0 ]
  [ "$output" = v1 ]
  grep -q -- '-----> Custom Thing app detected' "$T/build.log"
  grep -q -- '-----> custom compile v1' "$T/build.log"
  [ "$(cat "$T/meta/buildpack")" = "file://$repo#v1" ]
  [ "$(web_of "$T/meta/release.yml")" = "cat built-by" ]

  run build_with "file://$repo#beta"
  [ "$output" = v3 ]
  run build_with "file://$repo#$v1"
  [ "$output" = v1 ]
  run build_with "file://$repo"
  [ "$output" = v2 ]
  [ "$(cat "$T/meta/buildpack")" = "file://$repo" ]
}

@test "build-in-container: a custom pack's failures are clear" {
  repo=$(make_custom_pack)
  run build_with "file://$repo#broken"
  [ "$status" -eq 1 ]
  grep -q 'about to fail' "$T/build.log"
  grep -qx "!     build failed: file://$repo#broken compile exited 3" "$T/build.log"
  run build_with "file://$repo#no-such-ref"
  [ "$status" -eq 1 ]
  grep -qx "!     BUILDPACK_URL: no branch, tag or commit 'no-such-ref' in file://$repo" "$T/build.log"
}

# --- app-start ---------------------------------------------------------------

@test "app-start: drops to uid 10000 and layers .env, .profile.d, orders, secrets" {
  need_root
  mkdir -p "$T/app/.profile.d" "$T/env"
  echo 'FROM_ENV=dotenv PORT=1' >"$T/app/.env"
  echo 'FROM_PROFILE="profile at $HOME"' >"$T/app/.profile.d/a.sh"
  chown -R 10000:10000 "$T/app"
  printf "export PORT='4321'\nexport GREETING='hi there'\n" >"$T/env/orders.env"
  chmod 600 "$T/env/orders.env" # root-only: handed over as an open file
  echo 'echo "$(id -u):$(id -g):$(id -G) $PORT $HOME $PWD $STACK|$FROM_ENV|$FROM_PROFILE|$GREETING|$SECRET"; readlink /proc/$$/fd/* || true; ls /proc/$$/fd/3 /proc/$$/fd/4 2>/dev/null || echo "fds 3 and 4 closed"' >"$T/env/web"
  # Secrets arrive only on a pipe (fd 3 here, as lxc-execute hands it on): never a file.
  run bash -c 'printf "export PORT='\''9999'\''\nexport SECRET='\''s3cr;et'\''\n" | env STARPHLEET_ENV_DIR="$1" STARPHLEET_APP_DIR="$2" "$3" --secrets-fd 3 3<&0 </dev/null' x "$T/env" "$T/app" "$SH/app-start"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "10000:10000:10000 4321 $T/app $T/app starphleet-host|dotenv|profile at $T/app|hi there|s3cr;et" ]
  # neither the env file nor the secrets pipe is left open for the app
  [[ "$output" != *orders.env* && "$output" == *"fds 3 and 4 closed"* ]]
  run env STARPHLEET_ENV_DIR="$T/env" STARPHLEET_APP_DIR="$T/app" "$SH/app-start" --secrets-fd 9
  [ "$status" -eq 1 ]
  [[ "$output" == "app-start: --secrets-fd 9: no such open file descriptor" ]]
}

@test "app-start: the web command becomes the process; errors are one line" {
  need_root
  mkdir -p "$T/app" "$T/env"
  chown 10000:10000 "$T/app"
  : >"$T/env/orders.env"
  # a single command is exec'd: its PID is app-start's
  printf 'echo $$' >"$T/env/web"
  run env STARPHLEET_ENV_DIR="$T/env" STARPHLEET_APP_DIR="$T/app" bash -c 'echo $$; exec "$0"' "$SH/app-start"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "${lines[1]}" ]

  : >"$T/env/web"
  run --separate-stderr env STARPHLEET_ENV_DIR="$T/env" STARPHLEET_APP_DIR="$T/app" "$SH/app-start"
  [ "$status" -eq 1 ]
  [ "$stderr" = "app-start: no web command: $T/env/web is empty" ]
  rm "$T/env/web"
  run --separate-stderr env STARPHLEET_ENV_DIR="$T/env" STARPHLEET_APP_DIR="$T/app" "$SH/app-start"
  [ "$status" -eq 1 ]
  [ "$stderr" = "app-start: no web command: $T/env/web is missing" ]
}
