# Test ships in network namespaces: each one a namespace with a veth to a
# test bridge on an address range this test owns, and its own sshd that
# lets the test's key in as root. Nothing here talks to any other address.
# usage: load helpers/netns   (then sp_ns_* functions; sp_ns_teardown at the end)

# sp_ns_init: sets NS_TMP, NS_BRIDGE, NS_NET (first three octets), NS_KEY
# (the admiral's private key, its .pub beside it) and creates the bridge.
sp_ns_init() {
  NS_TMP=$(mktemp -d /tmp/starphleet-ns.XXXXXX)
  chmod 755 "$NS_TMP"
  NS_TAG=$(printf '%04d' $((RANDOM % 10000)))
  NS_BRIDGE="spnb$NS_TAG"
  local n
  for n in $(shuf -i 1-250 -n 60); do
    if ! ip -4 route | grep -q "^10\.214\.$n\."; then NS_NET="10.214.$n"; break; fi
  done
  [ -n "${NS_NET:-}" ] || { echo "no free 10.214.X.0/24" >&2; return 1; }
  # sshd's privilege separation folder (Debian's unit makes it; a host that never started sshd has none).
  mkdir -p /run/sshd && chmod 0755 /run/sshd
  ip link add "$NS_BRIDGE" type bridge
  ip addr add "$NS_NET.1/24" dev "$NS_BRIDGE"
  ip link set "$NS_BRIDGE" up
  ssh-keygen -q -t ed25519 -N '' -C "test-admiral" -f "$NS_TMP/admiral"
  export NS_TMP NS_TAG NS_BRIDGE NS_NET
  NS_KEY="$NS_TMP/admiral"
  export NS_KEY
}

# sp_ns_ship I: namespace spns$NS_TAG-I at $NS_NET.(10+I) with sshd on port 22.
sp_ns_ship() {
  local i=$1 ns="spns$NS_TAG-$1" addr="$NS_NET.$((10 + $1))" dir="$NS_TMP/ship$1"
  mkdir -p "$dir"
  ip netns add "$ns"
  ip link add "spv$NS_TAG$i" type veth peer name "spn$NS_TAG$i"
  ip link set "spv$NS_TAG$i" master "$NS_BRIDGE" up
  ip link set "spn$NS_TAG$i" netns "$ns"
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "$addr/24" dev "spn$NS_TAG$i"
  ip -n "$ns" link set "spn$NS_TAG$i" up
  ip -n "$ns" route add default via "$NS_NET.1"
  ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key"
  cp "$NS_KEY.pub" "$dir/authorized_keys"
  cat >"$dir/sshd_config" <<CONF
ListenAddress $addr
Port 22
HostKey $dir/host_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AcceptEnv LANG
Subsystem sftp internal-sftp
CONF
  ip netns exec "$ns" /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"
  local _
  for _ in $(seq 1 50); do
    [ -s "$dir/sshd.pid" ] && return 0
    sleep 0.1
  done
  echo "sshd in $ns did not start" >&2
  cat "$dir/sshd.log" >&2
  return 1
}

# sp_ns_addr I: the ship's address.
sp_ns_addr() {
  echo "$NS_NET.$((10 + $1))"
}

# sp_ns_exec I COMMAND...: run COMMAND inside ship I's namespace.
sp_ns_exec() {
  local ns="spns$NS_TAG-$1"
  shift
  ip netns exec "$ns" "$@"
}

# sp_ns_teardown: kill everything left in the namespaces, then remove them,
# the veths and the bridge.
sp_ns_teardown() {
  [ -n "${NS_TAG:-}" ] || return 0
  local ns pid
  for ns in $(ip netns list | awk '{print $1}' | grep "^spns$NS_TAG-" || true); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  ip link del "$NS_BRIDGE" 2>/dev/null || true
  rm -rf "$NS_TMP"
}
