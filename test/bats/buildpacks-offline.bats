#!/usr/bin/env bats
# The offline answers of the buildpacks added for the manual's list, run for
# real on the host in temp dirs (fast; the full runs on a ship are in
# runtimes.bats): Play, Scala, Clojure and Dart are detected and refused at
# once with one line; the java pack compiles and serves java-hello with the
# host's JDK; dependencies that would need a download are named.
# $stderr is set by bats' `run --separate-stderr`.
# shellcheck disable=SC2154

bats_require_minimum_version 1.5.0

setup() {
  ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
  PACKS="$ROOT/buildpacks"
  SH="$ROOT/lib/sh/container"
  EXAMPLES="$ROOT/examples/services"
  T=$(mktemp -d /tmp/starphleet-offline.XXXXXX)
}

teardown() {
  if [ -f "$T/pid" ]; then
    kill -TERM -- "-$(cat "$T/pid")" 2>/dev/null || true
  fi
  rm -rf "$T"
}

# fixture NAME FILE...: an app folder holding the named files (parents made).
fixture() {
  local dir="$T/$1" file
  shift
  for file in "$@"; do
    mkdir -p "$(dirname "$dir/$file")"
    : >"$dir/$file"
  done
  mkdir -p "$dir"
  echo "$dir"
}

# build DIR: build-in-container with the shipped packs; meta in $T/meta.
build() {
  "$SH/build-in-container" "$1" "$T/cache" "" "$T/meta" "$PACKS"
}

@test "play, scala, clojure, dart: detected, then the build fails at once with one clear line" {
  local -A markers=([Play]="build.sbt conf/routes" [Scala]="build.sbt" [Clojure]="project.clj" [Dart]="pubspec.yaml")
  local -A needs=([Play]="Play needs sbt and the Play framework from Maven Central, which this ship cannot download (neither is a Debian package)"
    [Scala]="Scala needs sbt and its libraries from Maven Central, which this ship cannot download (sbt is not a Debian package)"
    [Clojure]="Clojure needs its dependencies from Clojars and Maven Central, which this ship cannot download"
    [Dart]="Dart needs the Dart SDK and pub.dev packages, which this ship cannot download (the SDK is not a Debian package)")
  local how="; set BUILDPACK_URL in the app's .env to a buildpack that brings them, or build on a ship with network access"
  for label in Play Scala Clojure Dart; do
    # shellcheck disable=SC2086 # the marker list splits on purpose
    dir=$(fixture "$label" ${markers[$label]})
    pack=$(echo "$label" | tr '[:upper:]' '[:lower:]')
    # the pack itself: exactly one line, on stderr
    run --separate-stderr "$PACKS/$pack/bin/compile" "$dir" "$T/cache" "$T/env"
    [ "$status" -eq 1 ]
    [ "$output" = "" ]
    [ "$stderr" = "!     ${needs[$label]}$how" ]
    # through the build: detected, that line, and the build's own verdict
    run --separate-stderr build "$dir"
    [ "$status" -eq 1 ]
    [ "$output" = "-----> $label app detected" ]
    [ "$stderr" = "$(printf '!     %s%s\n!     build failed: %s compile exited 1' "${needs[$label]}" "$how" "$pack")" ]
    [ ! -e "$T/meta/buildpack" ]
  done
}

@test "java: java-hello compiles with the host's JDK and serves its body" {
  command -v javac >/dev/null || skip "no javac on this host"
  app="$T/java"
  cp -r "$EXAMPLES/java-hello" "$app"
  run build "$app"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"built build/app.jar (main class hello.Main)"* ]]
  [ "$(cat "$T/meta/buildpack")" = java ]
  web=$(sed -n 's/^  web: *//p' "$T/meta/release.yml")
  [ "$web" = "java \$JAVA_OPTS -cp 'build/app.jar:lib/*' hello.Main" ]
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  (cd "$app" && exec setsid env PORT="$port" HOST=127.0.0.1 bash -c "$web") >"$T/server.log" 2>&1 3>&- &
  echo "$!" >"$T/pid"
  body=""
  for _ in $(seq 100); do
    body=$(curl --noproxy '*' -fsS "http://127.0.0.1:$port/" 2>/dev/null) && break
    sleep 0.1
  done
  [[ "$body" == "Hello from Starphleet (Java "* ]]
}

@test "java: a pom.xml dependency not committed in lib/ is named; Gradle is refused" {
  command -v javac >/dev/null || skip "no javac on this host"
  app="$T/pom"
  cp -r "$EXAMPLES/java-hello" "$app"
  cat >"$app/pom.xml" <<'EOF'
<project>
  <modelVersion>4.0.0</modelVersion>
  <groupId>x</groupId><artifactId>y</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>com.google.code.gson</groupId><artifactId>gson</artifactId><version>2.10.1</version></dependency>
    <dependency><groupId>junit</groupId><artifactId>junit</artifactId><version>4.13.2</version><scope>test</scope></dependency>
  </dependencies>
</project>
EOF
  run --separate-stderr build "$app"
  [ "$status" -eq 1 ]
  [[ "$stderr" == "!     pom.xml needs the Maven dependency com.google.code.gson:gson:2.10.1 from Maven Central, which this ship cannot download"* ]]
  # committed in lib/, it builds
  mkdir -p "$app/lib"
  (cd "$T" && mkdir -p empty && jar --create --file "$app/lib/gson-2.10.1.jar" -C empty .)
  run build "$app"
  [ "$status" -eq 0 ]

  dir=$(fixture gradle build.gradle src/Main.java)
  run --separate-stderr build "$dir"
  [ "$status" -eq 1 ]
  [[ "$stderr" == "!     Gradle builds need Gradle and Maven Central, which this ship cannot download"* ]]
}

@test "perl: a cpanfile module the stack lacks is named, test-only ones are not" {
  dir=$(fixture perl)
  cat >"$dir/cpanfile" <<'EOF'
requires 'strict';
requires "Starphleet::No::Such::Module", '1.0';
on 'test' => sub {
  requires 'Starphleet::Only::For::Tests';
};
EOF
  run --separate-stderr "$PACKS/perl/bin/compile" "$dir" "$T/cache" "$T/env"
  [ "$status" -eq 1 ]
  [ "$(printf '%s\n' "$stderr" | grep -c '^!')" -eq 1 ]
  [[ "$stderr" == "!     Perl module Starphleet::No::Such::Module is not installed on this stack and CPAN is not used"* ]]
}

@test "go, ruby, php, apache, java, perl: a base without the runtime exits 75 (the ship then builds on the Debian base) with one line naming it" {
  mkdir -p "$T/bin"
  for tool in bash sh env sed awk cat mkdir dirname basename grep tr cut head find mktemp rm; do
    ln -s "$(command -v "$tool")" "$T/bin/$tool"
  done
  for pack in go ruby php apache java perl; do
    if [ "$pack" = apache ] && [ -x /usr/sbin/apache2 ]; then continue; fi
    dir=$(fixture "no-$pack" go.mod)
    echo 'module x' >"$dir/go.mod"
    run --separate-stderr env PATH="$T/bin" STACK=starphleet-host "$PACKS/$pack/bin/compile" "$dir" "$T/cache" "$T/env"
    [ "$status" -eq 75 ]
    [ "$(printf '%s\n' "$stderr" | grep -c '^!')" -eq 1 ]
    [[ "$stderr" == "!     "*" in this base (starphleet-host)" ]]
  done
}
