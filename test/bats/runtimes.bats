#!/usr/bin/env bats
# The buildpacks whose runtimes are Debian packages of the Debian base (go,
# ruby, php, java, perl, apache), each sample app in examples/services built
# and served by ONE real ship and answering through its nginx; plus the
# clear failures: a gem Debian does not package, a Scala app (detected, no
# sbt), and a Go app that needs a module download, which fails while the
# old version keeps serving. Most choose no base: the ship builds them on the
# Debian base because the host stack lacks their runtimes. The Debian base (a couple of minutes from
# scratch) is cached in ${STARPHLEET_TEST_CACHE:-/var/cache/starphleet-test}/debian-base
# and shared with debian-base.bats and bases.bats; STARPHLEET_TEST_DEBIAN=0
# skips this file.

load helpers/ship

setup_file() {
  [[ ${STARPHLEET_TEST_DEBIAN:-1} == 1 ]] || skip "STARPHLEET_TEST_DEBIAN=0"
  local name
  sp_init_ship
  sp_link_cached_debian_base
  for name in go-hello ruby-hello php-hello java-hello perl-hello apache-site; do
    sp_repo "$name" "$REPO_ROOT/examples/services/$name" >/dev/null
  done
  # A Gemfile asking for a gem no Debian package provides.
  sp_repo gem-missing "$REPO_ROOT/examples/services/ruby-hello" >/dev/null
  printf 'gem "starphleet-no-such-gem", "~> 1.0"\n' >>"$SP_WORK/gem-missing/Gemfile"
  sp_commit gem-missing "needs a gem Debian does not have" >/dev/null
  # A Scala (sbt) app: detected, and refused at once.
  sp_repo scala >/dev/null
  mkdir -p "$SP_WORK/scala/src/main/scala"
  echo 'scalaVersion := "3.3.1"' >"$SP_WORK/scala/build.sbt"
  echo 'object Main extends App { println("hi") }' >"$SP_WORK/scala/src/main/scala/Main.scala"
  sp_commit scala "an sbt app" >/dev/null

  # A Rack app whose bundle has no web server (rack only): refused at build time.
  sp_repo rack-only >/dev/null
  printf 'source "https://rubygems.org"\ngem "rack"\n' >"$SP_WORK/rack-only/Gemfile"
  printf 'run ->(env) { [200, {}, ["hi"]] }\n' >"$SP_WORK/rack-only/config.ru"
  sp_commit rack-only "rack without a server" >/dev/null

  sp_hq_init
  sp_orders rack-only 4009 rack-only "export STARPHLEET_BASE=debian"
  sp_orders go 4001 go-hello
  sp_orders ruby 4002 ruby-hello
  sp_orders php 4003 php-hello
  sp_orders java 4004 java-hello
  sp_orders perl 4005 perl-hello
  sp_orders apache 4006 apache-site
  sp_orders gem-missing 4007 gem-missing "export STARPHLEET_BASE=debian"
  sp_orders scala 4008 scala "export STARPHLEET_BASE=debian"
  # go ... apache choose no base: their runtimes are not on the host stack, so
  # the ship builds and runs them on the Debian base by itself. The others
  # choose it (STARPHLEET_BASE), as an app may.
  sp_commit hq "one service per Debian-runtime buildpack" >/dev/null
  sp_start_ship
}

teardown_file() {
  sp_teardown_ship
}

# slug_pack PATH: the buildpack recorded in the serving slug of that service.
slug_pack() {
  grep -hE '"buildpack"' "$SP_ROOT"/slugs/"$1"-*/*/meta.json | sed 's/.*: *"\([^"]*\)".*/\1/' | sort -u
}

@test "go: go-hello builds with Debian's Go from its vendor/ and answers through nginx" {
  run sp_wait_body /go "^Hello from Starphleet \(Go go1\.[0-9.]+\)" 300
  [ "$status" -eq 0 ]
  [ "$(slug_pack go)" = go ]
  grep -q "using the vendored modules in vendor/" "$SP_TMP/agent.log"
  # No base in its orders: the host stack has no Go, so the ship chose the Debian base.
  grep -q '"/go".*Go is not installed in this base (starphleet-host): building it on the debian base' "$SP_TMP/agent.log"
  grep -hq '"base": "debian"' "$SP_ROOT"/slugs/go-*/*/meta.json
  name=$("$STARPHLEET" status --root "$SP_ROOT" --json | node -e 'const d = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(d.services.find((s) => s.path === "/go").container)')
  grep -q "rootfs.path = overlay:$SP_ROOT/bases/debian/rootfs:" "$SP_ROOT/containers/$name/config"
}

@test "ruby: ruby-hello (Sinatra on puma) resolves its Gemfile against Debian's gems and vendor/cache" {
  run sp_wait_body /ruby "^Hello from Starphleet \(Ruby 3\.[0-9.]+, Sinatra [0-9.]+\)" 300
  [ "$status" -eq 0 ]
  [ "$(slug_pack ruby)" = ruby ]
  # the one gem Debian does not have came from the app's vendor/cache
  grep -q "Installing starphleet-greeting 1.0.0" "$SP_TMP/agent.log"
  # served by puma, the web command the pack chose from the lock file
  grep -q "web: bundle exec puma" "$SP_TMP/agent.log"
}

@test "php: php-hello runs on PHP's built-in server with its committed vendor/" {
  run sp_wait_body /php "^Hello from Starphleet \(PHP 8\.[0-9.]+\)" 300
  [ "$status" -eq 0 ]
  [ "$(slug_pack php)" = php ]
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SP_PORT/php/.starphleet/php-web")" = 404 ]
}

@test "java: java-hello is compiled by Debian's JDK (javac + jar) and answers" {
  run sp_wait_body /java "^Hello from Starphleet \(Java 17[0-9.]*\)" 300
  [ "$status" -eq 0 ]
  [ "$(slug_pack java)" = java ]
}

@test "perl: perl-hello's app.psgi runs on Debian's Plack" {
  run sp_wait_body /perl "^Hello from Starphleet \(Perl 5\.[0-9.]+, Plack [0-9.]+\)" 300
  [ "$status" -eq 0 ]
  [ "$(slug_pack perl)" = perl ]
}

@test "apache: apache-site is served by Apache httpd and its .htaccess applies" {
  run sp_wait_body /apache/ "Starphleet Apache site" 300
  [ "$status" -eq 0 ]
  run curl -s -i "http://127.0.0.1:$SP_PORT/apache/greeting"
  [[ "$output" == *"X-Served-By: apache .htaccess"* ]]
  [[ "$output" == *"Hello from Starphleet, rewritten by .htaccess"* ]]
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SP_PORT/apache/.htaccess")" = 403 ]
}

@test "ruby: a gem Debian does not package fails the build with a line naming it" {
  run sp_wait_status "/gem-missing .*error: build failed" 300
  [ "$status" -eq 0 ]
  [[ "$output" == *"gem starphleet-no-such-gem (~> 1.0) is not installed on this stack"* ]]
  run grep -c '^!     Ruby gem' "$SP_ROOT"/logs/build-gem-missing-*.log
  [ "$output" -eq 1 ]
}

@test "ruby: a config.ru whose bundle has no web server gem fails the build with one line (it used to build, then die at start)" {
  run sp_wait_status "/rack-only .*error: build failed" 300
  [ "$status" -eq 0 ]
  [[ "$output" == *'config.ru needs a web server gem in the Gemfile'*'add gem "puma" or gem "webrick"'* ]]
  run grep -c '^!     config.ru needs a web server gem' "$SP_ROOT"/logs/build-rack-only-*.log
  [ "$output" -eq 1 ]
}

@test "scala: detected, and the build fails at once with one line saying what is missing" {
  run sp_wait_status "/scala .*error: build failed" 300
  [ "$status" -eq 0 ]
  log=$(ls "$SP_ROOT"/logs/build-scala-*.log)
  grep -q -- "-----> Scala app detected" "$log"
  run grep -c "^!     Scala needs sbt and its libraries from Maven Central, which this ship cannot download .*BUILDPACK_URL" "$log"
  [ "$output" -eq 1 ]
}

@test "go: a module that must be downloaded fails the build, naming it; the old version keeps serving" {
  run sp_wait_body /go "Hello from Starphleet \(Go" 300
  [ "$status" -eq 0 ]
  git -C "$SP_WORK/go-hello" rm -rq vendor
  sp_commit go-hello "drop vendor/: example.com/greet must now be downloaded" >/dev/null
  run sp_wait_status "/go +online .*error: build failed" 120
  [ "$status" -eq 0 ]
  [[ "$output" == *"Go module example.com/greet@v1.0.0 must be downloaded"* ]]
  run curl -sL "http://127.0.0.1:$SP_PORT/go"
  [[ "$output" == "Hello from Starphleet (Go go1."* ]]
}
