// Help texts of the commands that manage the phleet's ships (add ship,
// remove ship, ships, balancer).
export const MANY_SHIPS_HELP = {
  'add ship': `usage: starphleet add ship [user@]HOST[:PORT] [--identity KEY] [--root DIR] [--name NAME]
                           [--port N] [--pulse SECONDS] [--bridge NAME] [--subnet CIDR]
                           [--nat on|off] [--base host|debian] [--init auto|systemd|upstart|keepalive]
                           [--https-port N] [--acme-directory URL|off] [--acme-email ADDRESS] [--acme-ca FILE] [--phleet NAME]

Over ssh (user root by default; --identity KEY, else the phleet's admiral
key): copies this single binary to DIR/bin/starphleet (default root
/var/starphleet), writes DIR/ship.env with the phleet's headquarters and the
settings given, and starts the agent under the host's init (a systemd unit,
an Upstart job, or the ship-keepalive wrapper where there is neither; --init
chooses one). Then
enrolls the phleet's admiral key on it, delivers the phleet's current
secrets, and remembers it in the profile. Running it again upgrades the ship
in place. Several ships may share one host with different --root, --port,
--bridge and --subnet. --acme-ca FILE: a PEM file on the ship that its
ACME client trusts (a private ACME CA; STARPHLEET_ACME_CA).`,
  'remove ship': `usage: starphleet remove ship NAME [--phleet NAME]

Stops the ship's agent, containers and nginx, removes its init job and its
root, and forgets it.`,
  ships: `usage: starphleet ships [--phleet NAME] [--ship NAME] [--timeout SECONDS]

One line per ship: name, target, up or DOWN, the headquarters commit it
serves, its services and its secret-set version (a ship that missed a change
shows an older version until a command reaches it, which catches it up).
Exit status 1 when any ship is unreachable.`,
  balancer: `usage: starphleet balancer [--format nginx|nginx-stream|haproxy] [--listen [ADDR:]PORT]
                         [--https-listen [ADDR:]PORT] [--phleet NAME]

Prints a front load balancer config for the phleet's ships: an nginx http
snippet (for /etc/nginx/conf.d/) or a whole haproxy.cfg. Every ship serves
every service; a ship that fails is skipped and idempotent requests are
retried on the next one; websockets and server-sent events pass through.
HAProxy also checks each ship at /starphleet/health.

HTTPS: the balancer passes TLS through to the ships, which hold the
certificates (it never sees a key). --format nginx-stream prints an nginx
stream block for it (main context, e.g. /etc/nginx/modules-enabled/, with
Debian's libnginx-mod-stream), listening on --listen (default 443) and
reaching each ship's HTTPS port; with haproxy, --https-listen adds a TCP
frontend to the same file. ACME challenges (/.well-known/acme-challenge/)
are tried on every ship in turn until the one that asked for it answers, so
each ship can get its own certificate through the balancer.`,
} as const;
