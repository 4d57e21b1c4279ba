#!/usr/bin/env bats
# Admirals and private repos end to end: a real sshd on a loopback port (the
# test's own, with its own host key and config), real ssh clients, a real
# admiral user with sudo, and a service repo served only over ssh by a
# git-shell user. Everything created here (users, sudoers file, sshd) is
# removed in teardown_file.

load helpers/ship

adm_ssh() {
  local key=$1
  shift
  ssh -i "$key" -p "$SSHD_PORT" -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 -o LogLevel=ERROR "$ADM@127.0.0.1" "$@"
}

# wait_login KEY: until KEY logs in as the admiral and `sudo -n true` works (bounded).
wait_login() {
  local start=$SECONDS
  while [ $((SECONDS - start)) -lt 20 ]; do
    if adm_ssh "$1" 'sudo -n true' </dev/null 2>/dev/null; then
      echo "login with ${1##*/} after $((SECONDS - start)) s"
      return 0
    fi
    sleep 0.3
  done
  echo "no login with $1 within 20 s" >&2
  tail -n 20 "$SP_TMP/agent.log" "$SP_TMP/sshd.log" >&2
  return 1
}

# wait_refused KEY: until KEY can no longer log in (bounded).
wait_refused() {
  local start=$SECONDS
  while [ $((SECONDS - start)) -lt 20 ]; do
    if ! adm_ssh "$1" true </dev/null 2>/dev/null; then
      echo "refused ${1##*/} after $((SECONDS - start)) s"
      return 0
    fi
    sleep 0.3
  done
  echo "$1 still logs in after 20 s" >&2
  return 1
}

setup_file() {
  sp_init_ship
  ADM="spadm$((RANDOM % 100000))"
  GITU="spgit$((RANDOM % 100000))"
  KEYS="$SP_TMP/keys"
  SSHD_PORT=$(sp_free_port)
  export ADM GITU KEYS SSHD_PORT
  mkdir -p "$KEYS"
  for k in alice bob ship leaked host; do
    ssh-keygen -q -t ed25519 -N '' -C "$k@test" -f "$KEYS/$k"
  done

  # The git user: git-shell only, the ship's key is the only way in.
  useradd --create-home --shell /usr/bin/git-shell --user-group "$GITU"
  usermod -p '*' "$GITU"
  GIT_HOME=$(getent passwd "$GITU" | cut -d: -f6)
  export GIT_HOME
  install -d -m 0700 -o "$GITU" -g "$GITU" "$GIT_HOME/.ssh"
  install -m 0600 -o "$GITU" -g "$GITU" "$KEYS/ship.pub" "$GIT_HOME/.ssh/authorized_keys"
  # The service repo lives only in the git user's home: reachable over ssh only.
  sp_repo priv "$REPO_ROOT/examples/services/static-site" >/dev/null
  git clone -q --bare "$SP_REPOS/priv.git" "$GIT_HOME/priv.git"
  rm -rf "$SP_REPOS/priv.git"
  chown -R "$GITU:$GITU" "$GIT_HOME/priv.git"

  # The test's own sshd on loopback.
  mkdir -p /run/sshd
  cat >"$SP_TMP/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $SSHD_PORT
HostKey $KEYS/host
PidFile $SP_TMP/sshd.pid
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
AllowUsers $ADM $GITU
StrictModes yes
LogLevel VERBOSE
EOF
  /usr/sbin/sshd -t -f "$SP_TMP/sshd_config"
  (
    /usr/sbin/sshd -D -e -f "$SP_TMP/sshd_config" >>"$SP_TMP/sshd.log" 2>&1 &
    echo $! >"$SP_TMP/sshd.main-pid"
  )
  local _
  for _ in $(seq 1 50); do
    (echo >"/dev/tcp/127.0.0.1/$SSHD_PORT") 2>/dev/null && break
    sleep 0.1
  done

  sp_hq_init
  mkdir -p "$SP_WORK/hq/priv" "$SP_WORK/hq/authorized_keys"
  printf 'export PORT=8080\nautodeploy ssh://%s@127.0.0.1:%s%s/priv.git\n' "$GITU" "$SSHD_PORT" "$GIT_HOME" >"$SP_WORK/hq/priv/orders"
  cp "$KEYS/alice.pub" "$SP_WORK/hq/authorized_keys/alice.pub"
  sp_commit hq "alice is an admiral; a private service" >/dev/null
  sp_start_ship --admiral "$ADM"
}

teardown_file() {
  if [ -f "${SP_TMP:-/nonexistent}/sshd.main-pid" ]; then kill "$(cat "$SP_TMP/sshd.main-pid")" 2>/dev/null || true; fi
  # Sessions end with the sshd; remove the users and what the ship wrote for them.
  # A session process still ending would make userdel refuse: end them first.
  for u in ${ADM:-} ${GITU:-}; do pkill -KILL -u "$u" 2>/dev/null || true; done
  sleep 0.2
  if [ -n "${ADM:-}" ]; then
    userdel -r -f "$ADM" 2>/dev/null || true
    rm -f "/etc/sudoers.d/starphleet-$ADM"
  fi
  if [ -n "${GITU:-}" ]; then userdel -r -f "$GITU" 2>/dev/null || true; fi
  sp_teardown_ship
}

@test "key A committed to authorized_keys/: the admiral logs in over ssh and has sudo without a password" {
  run wait_login "$KEYS/alice"
  echo "$output"
  [ "$status" -eq 0 ]
  # shellcheck disable=SC2016 # expanded by the admiral's shell
  run adm_ssh "$KEYS/alice" 'sudo -n id -u; id -un; echo "$SHELL"'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "0" ]
  [ "${lines[1]}" = "$ADM" ]
  [ "${lines[2]}" = "/bin/bash" ]
  # No password login: the password field matches no password, but keys work.
  [ "$(getent shadow "$ADM" | cut -d: -f2)" = "*" ]
  visudo -c -q -f "/etc/sudoers.d/starphleet-$ADM"
  [ "$(stat -c '%a %U' "$(getent passwd "$ADM" | cut -d: -f6)/.ssh/authorized_keys")" = "600 $ADM" ]
}

@test "info lists the admirals' fingerprints and comments" {
  fp=$(ssh-keygen -l -f "$KEYS/alice.pub" | cut -d' ' -f2)
  run "$STARPHLEET" info --root "$SP_ROOT" --phleet test
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"admirals: user $ADM, 1 key"* ]]
  [[ "$output" == *"$fp  alice@test  ED25519"*"authorized_keys/alice.pub"* ]]
}

@test "key A's file removed and B added: A is refused, B logs in; key options are kept as written" {
  rm "$SP_WORK/hq/authorized_keys/alice.pub"
  printf 'from="127.0.0.1,::1" %s\n' "$(cat "$KEYS/bob.pub")" >"$SP_WORK/hq/authorized_keys/bob key.pub"
  sp_commit hq "alice out, bob in" >/dev/null
  run wait_refused "$KEYS/alice"
  echo "$output"
  [ "$status" -eq 0 ]
  run wait_login "$KEYS/bob"
  echo "$output"
  [ "$status" -eq 0 ]
  grep -qxF "from=\"127.0.0.1,::1\" $(cat "$KEYS/bob.pub")" "$(getent passwd "$ADM" | cut -d: -f6)/.ssh/authorized_keys"
}

@test "an invalid key file and a committed private key are reported by name; B keeps working" {
  echo "this is not a key" >"$SP_WORK/hq/authorized_keys/not a key.pub"
  cp "$KEYS/leaked" "$SP_WORK/hq/authorized_keys/leaked"
  touch "$SP_WORK/hq/authorized_keys/.gitkeep"
  sp_commit hq "a bad file and a private key" >/dev/null
  run sp_wait_status "admirals ERROR authorized_keys/not a key.pub is not a valid public key" 20
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"admirals ERROR authorized_keys/leaked is a PRIVATE key and was not installed: remove it from the headquarters repo"* ]]
  grep -q "admirals: authorized_keys/not a key.pub is not a valid public key" "$SP_TMP/agent.log"
  run adm_ssh "$KEYS/bob" 'sudo -n true'
  [ "$status" -eq 0 ]
  run adm_ssh "$KEYS/leaked" true
  [ "$status" -ne 0 ]
  run grep -c "PRIVATE" "$(getent passwd "$ADM" | cut -d: -f6)/.ssh/authorized_keys"
  [ "$output" = "0" ]
  run "$STARPHLEET" info --root "$SP_ROOT"
  [[ "$output" == *"1 key"*"bob@test"* ]]
  [[ "$output" == *"error: authorized_keys/not a key.pub"* ]]
}

@test "a folder with no valid key revokes every admiral key" {
  git -C "$SP_WORK/hq" rm -q "authorized_keys/bob key.pub" "authorized_keys/not a key.pub" "authorized_keys/leaked"
  sp_commit hq "no admirals" >/dev/null
  run wait_refused "$KEYS/bob"
  echo "$output"
  [ "$status" -eq 0 ]
  run "$STARPHLEET" info --root "$SP_ROOT"
  [[ "$output" == *"0 keys"*"holds no valid public key"* ]]
}

@test "without sudo installed the keys still apply and the error says to install sudo" {
  # A PATH with every tool admiral-sync uses except sudo and visudo.
  bin="$SP_TMP/nosudo-bin"
  mkdir -p "$bin" "$SP_TMP/ak"
  for tool in bash env getent mktemp find sort grep stat ssh-keygen useradd usermod cut id install cat chown chmod mv rm tr; do
    ln -sf "$(command -v "$tool")" "$bin/$tool"
  done
  cp "$KEYS/bob.pub" "$SP_TMP/ak/bob.pub"
  run env PATH="$bin" "$REPO_ROOT/lib/sh/host/admiral-sync" "$ADM" "$SP_TMP/ak"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"sudo is not installed: admiral $ADM cannot use sudo (install the sudo package"* ]]
  [[ "$output" == *"bob@test"* ]]
  run adm_ssh "$KEYS/bob" true
  [ "$status" -eq 0 ]
}

@test "a ship without authorized_keys/ leaves alone the keys another ship on the host wrote; the ship that wrote them revokes them when its folder goes" {
  # The previous test left bob's key for $ADM, written by a run without a marker.
  home=$(getent passwd "$ADM" | cut -d: -f6)
  grep -q "bob@test" "$home/.ssh/authorized_keys"
  run "$REPO_ROOT/lib/sh/host/admiral-sync" "$ADM" "$SP_TMP/no-folder" "$SP_TMP/other-ship-managed"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"keys are not this ship's and stay as they are"* ]]
  grep -q "bob@test" "$home/.ssh/authorized_keys"
  run adm_ssh "$KEYS/bob" true
  [ "$status" -eq 0 ]
  # The ship that wrote them (its marker names the user) empties them when its folder is gone.
  "$REPO_ROOT/lib/sh/host/admiral-sync" "$ADM" "$SP_TMP/ak" "$SP_TMP/this-ship-managed" >/dev/null
  [ "$(cat "$SP_TMP/this-ship-managed")" = "$ADM" ]
  run "$REPO_ROOT/lib/sh/host/admiral-sync" "$ADM" "$SP_TMP/no-folder" "$SP_TMP/this-ship-managed"
  [ "$status" -eq 0 ]
  [[ "$output" == *"admiral $ADM has no keys"* ]]
  [ ! -s "$home/.ssh/authorized_keys" ]
  [ ! -e "$SP_TMP/this-ship-managed" ]
}

@test "a service repo served only over ssh fails with a clear error, then deploys after privatize" {
  run sp_wait_status "/priv +failed .*Permission denied \(publickey\).*starphleet privatize PRIVATE_KEY_FILE" 30
  echo "$output"
  [ "$status" -eq 0 ]
  # The public half, a missing file: refused before anything reaches the ship.
  run "$STARPHLEET" privatize "$KEYS/ship.pub" --root "$SP_ROOT"
  [ "$status" -eq 1 ]
  [[ "$output" == *"ship.pub is a public key; privatize needs the private half"* ]]
  run "$STARPHLEET" privatize "$SP_TMP/missing" --root "$SP_ROOT"
  [ "$status" -eq 1 ]
  [[ "$output" == *"cannot read $SP_TMP/missing: no such file"* ]]
  run "$STARPHLEET" privatize --root "$SP_ROOT"
  [ "$status" -eq 2 ]

  fp=$(ssh-keygen -l -f "$KEYS/ship.pub" | cut -d' ' -f2)
  run "$STARPHLEET" privatize "$KEYS/ship" --phleet test --root "$SP_ROOT"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"$fp"* ]]
  run sp_wait_body /priv/ "Starphleet static site" 90
  [ "$status" -eq 0 ]
  [ "$(stat -c %a "$SP_ROOT/ssh/privatize_key")" = "600" ]
  [ "$(stat -c %a "$SP_ROOT/ssh")" = "700" ]
  # The host key was pinned on first use (accept-new).
  ssh-keygen -F "[127.0.0.1]:$SSHD_PORT" -f "$SP_ROOT/ssh/known_hosts" | grep -q ssh-ed25519
  # The key's text is in no log and no status.
  secret=$(sed -n 2p "$KEYS/ship")
  run "$STARPHLEET" status --json --root "$SP_ROOT"
  [[ "$output" == *"\"sshKey\": \"$fp\""* ]]
  [[ "$output" != *"$secret"* ]]
  run grep -rlF "$secret" "$SP_TMP/agent.log" "$SP_ROOT/logs"
  [ "$status" -eq 1 ]
  [ -z "$output" ]
}

@test "after privatize the headquarters itself can be private: served over ssh only, it still deploys admirals" {
  git clone -q --bare "$SP_REPOS/hq.git" "$GIT_HOME/hq.git"
  chown -R "$GITU:$GITU" "$GIT_HOME/hq.git"
  kill "$(cat "$SP_TMP/agent.pid")"
  for _ in $(seq 1 50); do kill -0 "$(cat "$SP_TMP/agent.pid")" 2>/dev/null || break; sleep 0.1; done
  # The last --headquarters wins over the helper's file:// one.
  sp_start_ship --admiral "$ADM" --headquarters "ssh://$GITU@127.0.0.1:$SSHD_PORT$GIT_HOME/hq.git"
  cp "$KEYS/alice.pub" "$SP_WORK/hq/authorized_keys/alice.pub"
  git -C "$SP_WORK/hq" add -A
  git -C "$SP_WORK/hq" commit -q -m "alice is back, through the private HQ"
  # Pushed the way a person would: over ssh, as the git user (git-shell).
  GIT_SSH_COMMAND="ssh -i $KEYS/ship -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR" \
    git -C "$SP_WORK/hq" push -q "ssh://$GITU@127.0.0.1:$SSHD_PORT$GIT_HOME/hq.git" main
  commit=$(git -C "$SP_WORK/hq" rev-parse HEAD)
  run sp_wait_status "headquarters ssh://.*hq.git @ ${commit:0:12}" 30
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" != *"ERROR"* ]]
  run wait_login "$KEYS/alice"
  echo "$output"
  [ "$status" -eq 0 ]
}
