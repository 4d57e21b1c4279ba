# shellcheck shell=bash
# Sourced by bin/compile and bin/release. web_command_key BUILD_DIR: what the
# web command depends on (package.json's bytes, whether server.js exists),
# as one hash: release reuses compile's answer only while it is unchanged.
web_command_key() {
  {
    cat "$1/package.json" 2>/dev/null || echo "no package.json"
    [ -e "$1/server.js" ] && echo "server.js"
    true
  } | sha256sum | cut -d' ' -f1
}
