// The command table: every command with its options, its help and the
// function that runs it (its module is imported only when it runs).
// Dispatch (cli.ts) and help (help.ts) both read this table and nothing else.
import { UsageError } from '../core/config.js';
import type { Command, OptionSpec } from './command.js';
import { helpIn, overviewOf } from './help.js';
import { MANY_SHIPS_HELP } from './help-many-ships.js';
import { PHLEET_HELP } from './help-phleet.js';
import { SECRETS_HELP } from './help-secrets.js';
import { SHIP_HELP } from './help-ship.js';
import { out } from './shared.js';
import { VERSION } from './version.js';

/** Commands that reach every ship of the phleet: --ship narrows, --timeout bounds each ship. */
const PHLEET_OPTIONS: OptionSpec = {
  root: { type: 'string' }, phleet: { type: 'string' }, ship: { type: 'string' }, timeout: { type: 'string' },
};

const SHIP_RUN_OPTIONS: OptionSpec = {
  root: { type: 'string' }, headquarters: { type: 'string' }, port: { type: 'string' }, pulse: { type: 'string' },
  bridge: { type: 'string' }, subnet: { type: 'string' }, nat: { type: 'string' }, base: { type: 'string' },
  memory: { type: 'string' }, admiral: { type: 'string' }, 'known-hosts': { type: 'string' }, 'build-timeout': { type: 'string' },
  'https-port': { type: 'string' }, 'acme-directory': { type: 'string' }, 'acme-email': { type: 'string' },
};

const ROOT: OptionSpec = { root: { type: 'string' } };

export const COMMANDS: readonly Command[] = [
  { name: 'ship run', summary: { section: 'ship', text: 'run the ship agent in the foreground (poll, build, serve)' },
    help: SHIP_HELP['ship run'], options: SHIP_RUN_OPTIONS, noPositionals: true,
    run: (i) => import('./commands/ship-run.js').then((m) => m.shipRun(i)) },
  { name: 'ship down', summary: { section: 'ship', text: "stop this ship's nginx and containers and remove the containers" },
    help: SHIP_HELP['ship down'], options: ROOT, noPositionals: true,
    run: (i) => import('./commands/ship-down.js').then((m) => m.shipDown(i)) },
  { name: 'ship build-base', summary: { section: 'ship', text: 'build a container base image (host stack, or --debian)' },
    help: SHIP_HELP['ship build-base'], options: { ...ROOT, debian: { type: 'boolean' }, rebuild: { type: 'boolean' } }, noPositionals: true,
    run: (i) => import('./commands/ship-build-base.js').then((m) => m.shipBuildBase(i)) },
  { name: 'ship control', help: SHIP_HELP['ship control'], options: ROOT, noPositionals: true,
    run: (i) => import('./commands/ship-control.js').then((m) => m.shipControl(i)) },
  { name: 'ship service', help: SHIP_HELP['ship service'], options: ROOT, noPositionals: true,
    splitArgs: ([action, ...own]) => {
      if (action !== 'install' && action !== 'uninstall') throw new UsageError('ship service: needs install or uninstall');
      return { own, extra: [action] };
    },
    run: (i) => import('./commands/ship-service.js').then((m) => m.shipService(i)) },

  { name: 'status', summary: { section: 'phleet', text: 'services on each ship: path, state, repo@commit, container, error' },
    help: PHLEET_HELP.status, options: { ...PHLEET_OPTIONS, json: { type: 'boolean' } }, noPositionals: true,
    run: (i) => import('./commands/status.js').then((m) => m.status(i)) },
  { name: 'nudge', summary: { section: 'phleet', text: 'poll the headquarters and services now, on every ship' },
    help: PHLEET_HELP.nudge, options: { ...PHLEET_OPTIONS, wait: { type: 'string' } }, noPositionals: true,
    run: (i) => import('./commands/nudge.js').then((m) => m.nudge(i)) },
  { name: 'cert renew', summary: { section: 'phleet', text: "renew a domain's certificate now (ACME), on every ship that serves it" },
    help: PHLEET_HELP['cert renew'], options: PHLEET_OPTIONS,
    run: (i) => import('./commands/cert-renew.js').then((m) => m.certRenew(i)) },
  { name: 'cert add', summary: { section: 'phleet', text: 'serve a certificate of your own for a domain, on every ship' },
    help: PHLEET_HELP['cert add'], options: { ...PHLEET_OPTIONS, cert: { type: 'string' }, key: { type: 'string' } },
    run: (i) => import('./commands/cert.js').then((m) => m.certAdd(i)) },
  { name: 'cert list', summary: { section: 'phleet', text: "each ship's certificates: domain, source (acme or own), valid until" },
    help: PHLEET_HELP['cert list'], options: { ...PHLEET_OPTIONS, json: { type: 'boolean' } }, noPositionals: true,
    run: (i) => import('./commands/cert.js').then((m) => m.certList(i)) },
  { name: 'cert remove', summary: { section: 'phleet', text: 'stop serving an own certificate (ACME takes over where it is on)' },
    help: PHLEET_HELP['cert remove'], options: PHLEET_OPTIONS,
    run: (i) => import('./commands/cert.js').then((m) => m.certRemove(i)) },
  { name: 'info', summary: { section: 'phleet', text: "the phleet profile; each ship's key, secrets, admirals and privatize key" },
    help: SECRETS_HELP.info, options: { root: { type: 'string' }, phleet: { type: 'string' } }, noPositionals: true,
    run: (i) => import('./commands/info.js').then((m) => m.info(i)) },
  { name: 'privatize', summary: { section: 'phleet', text: 'give the ship(s) a private ssh key for private HQ and service repos' },
    help: PHLEET_HELP.privatize, options: PHLEET_OPTIONS,
    run: (i) => import('./commands/privatize.js').then((m) => m.privatizeShips(i)) },
  { name: 'logs', summary: { section: 'phleet', text: 'tail, grep and follow the logs of one service or the whole ship' },
    help: PHLEET_HELP.logs,
    options: {
      ...PHLEET_OPTIONS, follow: { type: 'boolean', short: 'f' }, grep: { type: 'string' },
      lines: { type: 'string', short: 'n' }, since: { type: 'string' }, json: { type: 'boolean' }, build: { type: 'boolean' },
    },
    run: (i) => import('./commands/logs.js').then((m) => m.logs(i)) },
  { name: 'top', summary: { section: 'phleet', text: 'requests/s, errors, latency and memory of each service (live on a terminal)' },
    help: PHLEET_HELP.top, options: { ...PHLEET_OPTIONS, json: { type: 'boolean' } }, noPositionals: true,
    run: (i) => import('./commands/top.js').then((m) => m.top(i)) },
  { name: 'run', summary: { section: 'phleet', label: 'run PATH', text: "a one-off command (after --) in a fresh container of the serving release" },
    help: PHLEET_HELP.run, options: ROOT,
    splitArgs: (args) => {
      const at = args.indexOf('--');
      return at === -1 ? { own: args, extra: [] } : { own: args.slice(0, at), extra: args.slice(at + 1) };
    },
    run: (i) => import('./commands/run.js').then((m) => m.run(i)) },
  { name: 'releases', summary: { section: 'phleet', text: "each service's numbered releases: commit, what changed, outcome, which serves" },
    help: PHLEET_HELP.releases, options: { ...PHLEET_OPTIONS, json: { type: 'boolean' } },
    run: (i) => import('./commands/releases.js').then((m) => m.releases(i)) },
  { name: 'attach', summary: { section: 'phleet', text: "a shell (or a command) inside a service's serving container" },
    help: PHLEET_HELP.attach, options: ROOT,
    splitArgs: (args) => {
      const at = args.indexOf('--');
      return at === -1 ? { own: args, extra: [] } : { own: args.slice(0, at), extra: args.slice(at + 1) };
    },
    run: (i) => import('./commands/attach.js').then((m) => m.attach(i)) },
  { name: 'dashboard', summary: { section: 'phleet', text: "print a one-time login URL of the ship's web dashboard" },
    help: PHLEET_HELP.dashboard, options: { ...ROOT, host: { type: 'string' }, phleet: { type: 'string' }, ship: { type: 'string' }, serve: { type: 'string' }, timeout: { type: 'string' } }, noPositionals: true,
    run: (i) => import('./commands/dashboard.js').then((m) => m.dashboard(i)) },

  { name: 'init', summary: { section: 'secrets', label: 'init NAME', text: 'create a phleet profile (headquarters URL, admiral key)' },
    help: SECRETS_HELP.init, options: { headquarters: { type: 'string' }, key: { type: 'string' }, root: { type: 'string' } },
    run: (i) => import('./commands/init.js').then((m) => m.init(i)) },
  { name: 'set', summary: { section: 'secrets', label: 'set NAME VALUE', text: 'set a phleet-wide secret (encrypted, signed; services roll over)' },
    help: SECRETS_HELP.set, options: { ...PHLEET_OPTIONS, 'no-restart': { type: 'boolean' } },
    run: (i) => import('./commands/set.js').then((m) => m.set(i)) },
  { name: 'notify add', summary: { section: 'secrets', label: 'notify add URL', text: 'POST the ships\' events (deploy live/failed, crash loop, …) to URL (Slack, Discord, any)' },
    help: SECRETS_HELP['notify add'], options: PHLEET_OPTIONS,
    run: (i) => import('./commands/notify.js').then((m) => m.notifyAdd(i)) },
  { name: 'notify remove', summary: { section: 'secrets', label: 'notify remove URL', text: 'stop notifying that URL' },
    help: SECRETS_HELP['notify remove'], options: PHLEET_OPTIONS,
    run: (i) => import('./commands/notify.js').then((m) => m.notifyRemove(i)) },
  { name: 'notify list', summary: { section: 'secrets', text: 'the notification URLs, redacted (they carry tokens)' },
    help: SECRETS_HELP['notify list'], options: { phleet: { type: 'string' }, json: { type: 'boolean' } }, noPositionals: true,
    run: (i) => import('./commands/notify.js').then((m) => m.notifyList(i)) },
  { name: 'webhook secret', summary: { section: 'secrets', text: "the git push hook's secret, from stdin (a ship setting: restarts nothing)" },
    help: SECRETS_HELP['webhook secret'], options: { ...PHLEET_OPTIONS, remove: { type: 'boolean' } },
    run: (i) => import('./commands/webhook.js').then((m) => m.webhookSecret(i)) },
  { name: 'unset', summary: { section: 'secrets', label: 'unset NAME', text: 'remove a phleet-wide secret' },
    help: SECRETS_HELP.unset, options: { ...PHLEET_OPTIONS, 'no-restart': { type: 'boolean' } },
    run: (i) => import('./commands/set.js').then((m) => m.unset(i)) },
  { name: 'secrets', summary: { section: 'secrets', text: 'list secret names and when they were set (never values)' },
    help: SECRETS_HELP.secrets, options: PHLEET_OPTIONS, noPositionals: true,
    run: (i) => import('./commands/secrets.js').then((m) => m.secrets(i)) },

  { name: 'add ship', summary: { section: 'ships', text: 'install a ship over ssh and add it to the phleet' },
    help: MANY_SHIPS_HELP['add ship'],
    options: {
      phleet: { type: 'string' }, root: { type: 'string' }, name: { type: 'string' }, identity: { type: 'string' },
      port: { type: 'string' }, pulse: { type: 'string' }, bridge: { type: 'string' }, subnet: { type: 'string' },
      nat: { type: 'string' }, base: { type: 'string' }, init: { type: 'string' },
      'https-port': { type: 'string' }, 'acme-directory': { type: 'string' }, 'acme-email': { type: 'string' },
      'acme-ca': { type: 'string' },
    },
    run: (i) => import('./commands/add-ship.js').then((m) => m.addShip(i)) },
  { name: 'remove ship', summary: { section: 'ships', text: 'stop and remove a ship, and forget it' },
    help: MANY_SHIPS_HELP['remove ship'], options: { phleet: { type: 'string' } },
    run: (i) => import('./commands/remove-ship.js').then((m) => m.removeShip(i)) },
  { name: 'ships', summary: { section: 'ships', text: "the phleet's ships: reachable or not, HQ commit, secret-set version" },
    help: MANY_SHIPS_HELP.ships, options: PHLEET_OPTIONS, noPositionals: true,
    run: (i) => import('./commands/ships.js').then((m) => m.ships(i)) },
  { name: 'balancer', summary: { section: 'ships', text: "a front load balancer config (nginx or HAProxy) for the phleet's ships" },
    help: MANY_SHIPS_HELP.balancer, options: { phleet: { type: 'string' }, format: { type: 'string' }, listen: { type: 'string' }, 'https-listen': { type: 'string' } }, noPositionals: true,
    run: (i) => import('./commands/balancer.js').then((m) => m.balancer(i)) },

  // help's words are its topic, never options: `help ship --help` asks for a topic.
  { name: 'help', summary: { section: 'other', label: 'help COMMAND', text: 'help for one command' },
    help: 'usage: starphleet help COMMAND', options: {}, splitArgs: (args) => ({ own: [], extra: args }),
    run: async ({ extra }) => {
      const topic = extra.join(' ');
      const text = topic ? helpFor(topic) : HELP;
      if (!text) throw new UsageError(`help: no command '${topic}'`);
      out(text);
      return 0;
    } },
  { name: 'version', aliases: ['--version'], summary: { section: 'other', text: 'print the version' },
    help: 'usage: starphleet version', options: {}, noPositionals: true,
    run: async () => {
      out(`starphleet ${VERSION}`);
      return 0;
    } },
];

/** Words that only lead to subcommands, and what a wrong one after them says. */
export const GROUPS = new Map<string, (sub: string | undefined) => string>([
  ['ship', (sub) => (sub === undefined ? 'ship: needs a subcommand (run, down, build-base, service)' : `ship: unknown subcommand '${sub}'`)],
  ['add', () => "add: did you mean 'add ship'?"],
  ['remove', () => "remove: did you mean 'remove ship'?"],
]);

/** `starphleet --help`. */
export const HELP = overviewOf(COMMANDS);

/** `starphleet help TOPIC` ('' when there is none). */
export function helpFor(topic: string): string {
  return helpIn(COMMANDS, topic);
}
