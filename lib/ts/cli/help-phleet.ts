// Help texts of the commands that look after the services on the phleet's
// ships (status, nudge, privatize, logs, attach, dashboard).
export const PHLEET_HELP = {
  status: `usage: starphleet status [--json] [--root DIR] [--phleet NAME] [--ship NAME] [--timeout SECONDS]

One line per service: path, state (pending, building, starting, checking,
online, draining, failed), repo#ref@commit, serving container, uptime,
memory (from its cgroup), last healthcheck (ok/FAIL and when), restarts,
other versions (a new one checking, an old one draining), last error.
--json prints the same as a JSON document (see docs/status.md). With several
ships: a block per ship (--json: {"phleet", "ships": [{name, target, ok,
error, status}]}). Exit status 1 when any service is failed or a ship is
unreachable.`,
  'cert renew': `usage: starphleet cert renew DOMAIN [--root DIR] [--phleet NAME] [--ship NAME] [--timeout SECONDS]

Orders a new certificate for DOMAIN (a name in some service's DOMAINS) from
the ship's ACME directory now, and waits for it (at most 180 s). The one
that serves keeps serving until the new one replaces it; on failure it
stays, and the reason is printed and shown in \`status\`.`,
  'cert add': `usage: starphleet cert add DOMAIN --cert FILE --key FILE [--phleet NAME] [--ship NAME] [--timeout SECONDS]

Serves a certificate of your own for DOMAIN on every ship of the phleet,
instead of one from ACME: FILE is PEM, the certificate first, then its chain;
the key is PEM without a passphrase. It is checked first (it must parse, cover
DOMAIN, match the key and not be expired: else nothing changes). The key
travels sealed to each ship's key, in a change signed with the admiral key;
ships keep it sealed at rest and in plaintext only on their root-only tmpfs
(ROOT/tls) that nginx reads. The profile keeps a sealed copy, so ships added
later or down now get it the next time a command reaches them. DOMAIN may be
a name in some service's DOMAINS, or a name of the ships themselves: then the
whole path tree and the dashboard answer over HTTPS at it. Own certificates
are never renewed by ACME: add the next one before this one expires.`,
  'cert list': `usage: starphleet cert list [--json] [--phleet NAME] [--ship NAME] [--timeout SECONDS]

One line per certificate on each ship: ship, domain, source (acme: issued by
the ship's ACME directory; own: cert add), valid until. Never a key.`,
  'cert remove': `usage: starphleet cert remove DOMAIN [--phleet NAME] [--ship NAME] [--timeout SECONDS]

Removes the own certificate of DOMAIN from every ship (and the profile's
copy). Where a service has DOMAIN and ACME is on, the ship then orders one.`,
  nudge: `usage: starphleet nudge [--wait SECONDS] [--root DIR] [--phleet NAME] [--ship NAME] [--timeout SECONDS]

Polls the headquarters and every service repo now, instead of waiting for the
next pulse, and retries versions that failed. Returns at once: a step in
progress (a fetch from a slow git host, a build) is never waited for.
--wait SECONDS (at most 120) waits until the HQ read and every service's
orders and fetch are done, or that long, whichever comes first; builds and
deploys still go on after it returns.`,
  privatize: `usage: starphleet privatize PRIVATE_KEY_FILE [--phleet NAME] [--ship NAME] [--root DIR]

Delivers a private ssh key (without a passphrase) to the ship, which stores it
as ROOT/ssh/privatize_key (mode 0600) and uses it for every git operation:
the headquarters and service repos can then be private (ssh:// or user@host:
URLs). Host keys: accepted the first time and pinned in ROOT/ssh/known_hosts,
or only those in STARPHLEET_KNOWN_HOSTS when the ship has it. The key never
appears in logs or status; only its fingerprint does. With a phleet profile it
goes to every ship, and the profile keeps a copy (0600) for ships added later.`,
  logs: `usage: starphleet logs [SERVICE_PATH] [--follow|-f] [--grep REGEX] [--lines|-n N]
                      [--since DURATION] [--json] [--root DIR]
       starphleet logs SERVICE_PATH --build [--root DIR]

Prints the ship's log stream: app output (stdout and stderr of every
container), builds, healthcheck results and agent events, as
  TIME SERVICE CONTAINER [PROCESS] SOURCE[/stderr]: LINE
(PROCESS: web.1, worker.2, release) for one service (every version of it, labelled by container) or the whole
ship. The agent keeps the last STARPHLEET_LOG_LINES (10 000) lines, at most
STARPHLEET_LOG_RING_BYTES (512 KiB), per service in memory. --follow keeps printing new lines (through rollovers)
until interrupted; --lines N (default 100, 10 with --follow) the tail to
start with; --since 5m, 2h, 1d only newer lines; --grep a JavaScript
regular expression; --json one JSON record per line (docs/logs.md).
--build prints the whole log of the service's newest build instead (the
log stream has only its first MiB), from ROOT/logs/build-*.log.
Exit status 1 for an unknown service, 2 for a bad regex or option.`,
  releases: `usage: starphleet releases [SERVICE_PATH] [--json] [--root DIR | --ship NAME] [--phleet NAME]

Lists each service's numbered releases on the ship, newest first: number,
commit, when, what changed (code, orders, secrets) and the outcome: serving,
live, superseded, rolled-back (a later release ran an earlier commit again),
failed (with its cause) or pending. A release is a slug plus its config; a
new commit, an orders change or a secrets rollout makes one. A rollback is a
git operation: pin the service's #sha in its orders or revert in its repo (a
slug still kept starts without a build). --json: {"services": [{"path",
"releases": [{"number", "commit", "changed", "at", "outcome", "cause",
"serving"}]}]}.`,
  top: `usage: starphleet top [--json] [--root DIR | --ship NAME] [--phleet NAME]

Each service's requests per second and 5xx per second (over the last 10 s),
totals by status class, p50/p95/p99 latency (histogram bucket bounds) and the
serving container's memory, counted from the front door since the agent
started. On a terminal it redraws every 2 s until ^C; otherwise it prints
once. --json adds the last hour at 10 s per service (requests, errors, p95,
memory). The same counters are at /starphleet/metrics (Prometheus text,
with the ship's token) and /starphleet/api/metrics.`,
  run: `usage: starphleet run SERVICE_PATH [--root DIR] -- COMMAND [ARG...]

Runs COMMAND once in a fresh container of the service's serving release
(its slug, environment and phleet secrets; not routed; removed afterwards),
as the app user in /app. stdin, stdout and stderr are passed through (a
pseudo-terminal when the caller has one) and the exit status is COMMAND's.
For migrations and consoles; attach enters the serving container instead.
Needs root.`,
  attach: `usage: starphleet attach SERVICE_PATH [--root DIR] [-- COMMAND [ARG...]]

Runs COMMAND (default: an interactive bash) in the service's serving
container as the app user, in /app, with the app's environment. On a
terminal it gets a pseudo-terminal of the terminal's size (lxc-attach);
the exit status is COMMAND's. Needs root.`,
  dashboard: `usage: starphleet dashboard [--host NAME] [--root DIR | --ship NAME] [--phleet NAME]

Prints a login URL of the ship's dashboard (/starphleet/dashboard/ on the
ship's HTTP port) with a one-time code (10 minutes); opening it sets a
session cookie (12 hours). Scripts use the ship's token, ROOT/dashboard.token
(root-only), as "Authorization: Bearer TOKEN" on any /starphleet/ endpoint.
--host puts NAME in the URL instead of 127.0.0.1 (for a remote ship: its ssh
host). The ship: --root DIR, else --ship NAME of the phleet (asked over ssh),
else the phleet's only ship or its one local ship.

       starphleet dashboard --serve [ADDR:]PORT [--phleet NAME] [--ship NAME] [--timeout S]

Serves the phleet dashboard from this machine (ADDR defaults to 127.0.0.1;
PORT 0 picks a free one) until interrupted: every ship's services, health,
requests and memory (asked every 5 s over the ship's ssh channel, each ship
within --timeout, default 10 s) and the ships' logs merged live. A ship that
does not answer is shown as unreachable, with the reason and its last known
services. Prints a login URL carrying the dashboard's token (made at start;
opening it sets a cookie): keep it to yourself.`,
} as const;
