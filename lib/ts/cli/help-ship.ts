// Help texts of the ship commands (run on the machine that serves).
export const SHIP_HELP = {
  'ship run': `usage: starphleet ship run [--headquarters URL] [--port N] [--pulse SECONDS] [--root DIR]
                      [--bridge NAME] [--subnet CIDR] [--nat on|off] [--base host|debian] [--memory SIZE]
                      [--build-timeout SECONDS] [--https-port N] [--acme-directory URL|off] [--acme-email ADDRESS]

Runs the ship agent in the foreground until SIGTERM or SIGINT. Containers and
nginx keep serving when the agent stops.

  --headquarters URL  the HQ git repo, URL[#branch|tag|sha]   (STARPHLEET_HEADQUARTERS)
  --port N            HTTP port of the front door, default 80  (STARPHLEET_HTTP_PORT)
  --pulse SECONDS     poll interval, default 10                (STARPHLEET_PULSE)
  --root DIR          ship state, default /var/starphleet     (STARPHLEET_ROOT)
  --bridge NAME       container bridge, default lxcbr0        (STARPHLEET_BRIDGE)
  --subnet CIDR       container subnet, default 10.0.3.0/24   (STARPHLEET_SUBNET)
  --nat on|off        outbound NAT for containers, default on (STARPHLEET_NAT)
  --base host|debian  default container base, default host    (STARPHLEET_BASE)
  --memory SIZE       memory limit per container, default 1024M (STARPHLEET_MEMORY)
  --build-timeout SECONDS  stop a build after this long, default 900 (STARPHLEET_BUILD_TIMEOUT)
  --admiral NAME      local user for admirals' ssh logins, default admiral (STARPHLEET_ADMIRAL)
  --known-hosts FILE  trust only these ssh host keys for git, default: accept new hosts
                      and pin them in ROOT/ssh/known_hosts  (STARPHLEET_KNOWN_HOSTS)
  --https-port N      HTTPS port, opened once the ship holds a certificate, default 443 (STARPHLEET_HTTPS_PORT)
  --acme-directory URL  ACME directory for the DOMAINS' certificates, default Let's Encrypt's;
                      off: no ACME                            (STARPHLEET_ACME_DIRECTORY)
  --acme-email ADDRESS  the ACME account's contact            (STARPHLEET_ACME_EMAIL)
                      STARPHLEET_ACME_CA=FILE: a PEM the ACME client trusts (a private CA)`,
  'ship down': `usage: starphleet ship down [--root DIR]

Stops the ship's agent, nginx and containers, removes the containers and the
bridge the ship created. Built slugs and caches stay under the root.`,
  'ship build-base': `usage: starphleet ship build-base [--debian] [--rebuild] [--root DIR]

Builds a container base image under ROOT/bases: the host-stack base (default,
under a second) or a full Debian base with debootstrap (--debian, about a
minute, needs the Debian mirror).`,
  'ship control': `usage: starphleet ship control [--root DIR]

Relays one control request line from stdin to the ship agent and prints its
answer: the control channel carried over ssh.`,
  'ship service': `usage: starphleet ship service install|uninstall [--root DIR]

Internal: run by add ship and remove ship on the ship itself. install hands
the agent to the host's init (a systemd unit, an Upstart job, or the
ship-keepalive wrapper), with the settings of ROOT/ship.env; uninstall stops
the agent and removes the unit or job. Works from the single binary only.`,
} as const;
