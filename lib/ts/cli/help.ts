// Help texts: `starphleet --help` and `starphleet help CMD`.
import { PHLEET_HELP, PHLEET_HELP_SUMMARY } from './help-phleet.js';
import { SECRETS_HELP, SECRETS_HELP_SUMMARY } from './help-secrets.js';

export const VERSION = '0.1.0';

export const HELP = `starphleet ${VERSION} — container-based continuous deployment from a git headquarters

usage: starphleet COMMAND [OPTIONS]

Ship (run on the machine that serves):
  ship run         run the ship agent in the foreground (poll, build, serve)
  ship down        stop this ship's nginx and containers and remove the containers
  ship build-base  build a container base image (host stack, or --debian)

Phleet:
  status           services on each ship: path, state, repo@commit, container, error
  nudge            poll the headquarters and services now, on every ship
  info             the phleet profile; each ship's key, secrets, admirals and privatize key
  privatize        give the ship(s) a private ssh key for private HQ and service repos
  logs             tail, grep and follow the logs of one service or the whole ship
  attach           a shell (or a command) inside a service's serving container
  dashboard        print a one-time login URL of the ship's web dashboard

${SECRETS_HELP_SUMMARY}

${PHLEET_HELP_SUMMARY}

Other:
  help COMMAND     help for one command
  version          print the version

Every command that talks to ships finds them the same way:
  --root DIR > STARPHLEET_ROOT > the phleet profile's ships (--phleet NAME,
  narrowed with --ship NAME) > /var/starphleet
Commands across several ships run on all of them at once; a ship that does
not answer within --timeout SECONDS (default 30, STARPHLEET_SHIP_TIMEOUT) is
reported, and the exit status is 1.

Exit status: 0 ok, 1 failure, 2 usage error.`;

const COMMANDS: Record<string, string> = {
  'ship run': `usage: starphleet ship run [--headquarters URL] [--port N] [--pulse SECONDS] [--root DIR]
                      [--bridge NAME] [--subnet CIDR] [--nat on|off] [--base host|debian] [--memory SIZE]

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
  --admiral NAME      local user for admirals' ssh logins, default admiral (STARPHLEET_ADMIRAL)
  --known-hosts FILE  trust only these ssh host keys for git, default: accept new hosts
                      and pin them in ROOT/ssh/known_hosts  (STARPHLEET_KNOWN_HOSTS)`,
  'ship down': `usage: starphleet ship down [--root DIR]

Stops the ship's agent, nginx and containers, removes the containers and the
bridge the ship created. Built slugs and caches stay under the root.`,
  'ship build-base': `usage: starphleet ship build-base [--debian] [--rebuild] [--root DIR]

Builds a container base image under ROOT/bases: the host-stack base (default,
under a second) or a full Debian base with debootstrap (--debian, about a
minute, needs the Debian mirror).`,
  'ship supervise': `usage: starphleet ship supervise --root DIR [--secrets-stdin] NAME

Internal: holds one container's output and exit status; started by the agent.
--secrets-stdin reads the container's secrets from stdin (a pipe) and hands
them to the container on fd 3.`,
  'ship control': `usage: starphleet ship control [--root DIR]

Relays one control request line from stdin to the ship agent and prints its
answer: the control channel carried over ssh.`,
  status: `usage: starphleet status [--json] [--root DIR] [--phleet NAME] [--ship NAME] [--timeout SECONDS]

One line per service: path, state (pending, building, starting, checking,
online, draining, failed), repo#ref@commit, serving container, uptime,
memory (from its cgroup), last healthcheck (ok/FAIL and when), restarts,
other versions (a new one checking, an old one draining), last error.
--json prints the same as a JSON document (see docs/status.md). With several
ships: a block per ship (--json: {"phleet", "ships": [{name, target, ok,
error, status}]}). Exit status 1 when any service is failed or a ship is
unreachable.`,
  nudge: `usage: starphleet nudge [--wait SECONDS] [--root DIR] [--phleet NAME] [--ship NAME] [--timeout SECONDS]

Polls the headquarters and every service repo now, instead of waiting for the
next pulse, and retries versions that failed. Returns at once: a step in
progress (a fetch from a slow git host, a build) is never waited for.
--wait SECONDS (at most 120) waits until the HQ read and every service's
orders and fetch are done, or that long, whichever comes first; builds and
deploys still go on after it returns.`,
  ...SECRETS_HELP,
  ...PHLEET_HELP,
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

Prints the ship's log stream: app output (stdout and stderr of every
container), builds, healthcheck results and agent events, as
  TIME SERVICE CONTAINER SOURCE[/stderr]: LINE
for one service (every version of it, labelled by container) or the whole
ship. The agent keeps the last STARPHLEET_LOG_LINES (10 000) lines per
service in memory. --follow keeps printing new lines (through rollovers)
until interrupted; --lines N (default 100, 10 with --follow) the tail to
start with; --since 5m, 2h, 1d only newer lines; --grep a JavaScript
regular expression; --json one JSON record per line (docs/logs.md).
Exit status 1 for an unknown service, 2 for a bad regex or option.`,
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
else the phleet's only ship or its one local ship.`,
  help: 'usage: starphleet help COMMAND',
  version: 'usage: starphleet version',
};

export function helpFor(command: string): string {
  // `help --help` is help's own usage; a group word (`ship`, `add`, `remove`)
  // shows every subcommand under it.
  if (command === '--help' || command === '-h') return COMMANDS.help;
  return COMMANDS[command] ?? Object.keys(COMMANDS).filter((k) => k.startsWith(`${command} `)).map((k) => COMMANDS[k]).join('\n\n');
}
