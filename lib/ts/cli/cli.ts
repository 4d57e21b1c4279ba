// The `starphleet` command line: parse, dispatch, print plain text.
// Exit codes: 0 ok, 1 failure, 2 usage error. Never prompts.
import { parseArgs } from 'node:util';
import { resolveRoot, resolveShipConfig, UsageError, type Flags } from '../core/config.js';
import { HELP, helpFor, VERSION } from './help.js';
import { usageLines } from './usage-hint.js';
import { shipPaths } from '../core/paths.js';
import { profileShipRoot, starphleetHome } from '../phleet/profile.js';
import { LocalSocketTransport, ShipUnreachable, type ShipTransport } from '../phleet/transport.js';

export class Failure extends Error {}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

const SHIP_OPTIONS: OptionSpec = {
  root: { type: 'string' },
  headquarters: { type: 'string' },
  port: { type: 'string' },
  pulse: { type: 'string' },
  bridge: { type: 'string' },
  subnet: { type: 'string' },
  nat: { type: 'string' },
  base: { type: 'string' },
  memory: { type: 'string' },
  admiral: { type: 'string' },
  'known-hosts': { type: 'string' },
};

function parse(command: string, args: string[], options: OptionSpec): { flags: Flags; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    if (values.help) {
      process.stdout.write(helpFor(command) + '\n');
      throw new HelpShown();
    }
    return { flags: values as Flags, positionals };
  } catch (err) {
    if (err instanceof HelpShown) throw err;
    throw new UsageError(`${command}: ${(err as Error).message.split('\n')[0]}`);
  }
}

class HelpShown extends Error {}

/** Commands that reach every ship of the phleet: --ship narrows, --timeout bounds each ship. */
const PHLEET_OPTIONS: OptionSpec = {
  root: { type: 'string' }, phleet: { type: 'string' }, ship: { type: 'string' }, timeout: { type: 'string' },
};

/** The transport to the ship this command is about (local socket for now): --root > STARPHLEET_ROOT > the phleet profile's ship > default. */
export function transportFor(flags: Flags): ShipTransport {
  const explicit = typeof flags.root === 'string' || Boolean(process.env.STARPHLEET_ROOT);
  const root = explicit ? resolveRoot(flags, process.env)
    : profileShipRoot(starphleetHome(), flags.phleet as string | undefined) ?? resolveRoot(flags, process.env);
  return new LocalSocketTransport(shipPaths(root).controlSocket);
}

function noPositionals(command: string, positionals: string[]): void {
  if (positionals.length > 0) throw new UsageError(`${command}: unexpected argument '${positionals[0]}'`);
}

export async function main(argv: string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (err) {
    if (err instanceof HelpShown) return 0;
    if (err instanceof UsageError) {
      process.stderr.write(usageLines(err.message, (c) => helpFor(c) !== ''));
      return 2;
    }
    if (err instanceof Failure || err instanceof ShipUnreachable) {
      process.stderr.write(`starphleet: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`starphleet: ${(err as Error).message.split('\n')[0]}\n`);
    return 1;
  }
}

async function dispatch(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case undefined:
    case '--help':
    case '-h':
      process.stdout.write(HELP + '\n');
      return 0;
    case 'help': {
      const topic = rest.join(' ');
      if (!topic) { process.stdout.write(HELP + '\n'); return 0; }
      const text = helpFor(topic);
      if (!text) throw new UsageError(`help: no command '${topic}'`);
      process.stdout.write(text + '\n');
      return 0;
    }
    case 'version':
    case '--version': {
      // `version --help` shows its usage; anything else after it is a usage error.
      const { positionals } = parse('version', rest, {});
      noPositionals('version', positionals);
      process.stdout.write(`starphleet ${VERSION}\n`);
      return 0;
    }
    case 'status':
      return status(rest);
    case 'nudge': {
      const { flags, positionals } = parse('nudge', rest, { ...PHLEET_OPTIONS, wait: { type: 'string' } });
      noPositionals('nudge', positionals);
      const { phleetNudge } = await import('./phleet.js');
      return phleetNudge(flags);
    }
    case 'add':
    case 'remove': {
      const [what, ...more] = rest;
      if (what !== 'ship') throw new UsageError(`${cmd}: did you mean '${cmd} ship'?`);
      const phleet = await import('./phleet.js');
      if (cmd === 'add') {
        const { flags, positionals } = parse('add ship', more, {
          phleet: { type: 'string' }, root: { type: 'string' }, name: { type: 'string' }, identity: { type: 'string' },
          port: { type: 'string' }, pulse: { type: 'string' }, bridge: { type: 'string' }, subnet: { type: 'string' },
          nat: { type: 'string' }, base: { type: 'string' }, init: { type: 'string' },
        });
        return phleet.addShip(flags, positionals);
      }
      const { flags, positionals } = parse('remove ship', more, { phleet: { type: 'string' } });
      return phleet.removeShip(flags, positionals);
    }
    case 'ships': {
      const { flags, positionals } = parse('ships', rest, PHLEET_OPTIONS);
      noPositionals('ships', positionals);
      const { ships } = await import('./phleet.js');
      return ships(flags);
    }
    case 'balancer': {
      const { flags, positionals } = parse('balancer', rest, { phleet: { type: 'string' }, format: { type: 'string' }, listen: { type: 'string' } });
      noPositionals('balancer', positionals);
      const { balancer } = await import('./phleet.js');
      return balancer(flags);
    }
    case 'ship':
      return ship(rest);
    case 'init':
    case 'set':
    case 'unset':
    case 'secrets': {
      const { secretsCommand } = await import('./secrets.js');
      return secretsCommand(cmd, rest);
    }
    case 'privatize': {
      const { flags, positionals } = parse('privatize', rest, PHLEET_OPTIONS);
      const { phleetPrivatize } = await import('./phleet.js');
      return phleetPrivatize(flags, positionals);
    }
    case 'info': {
      // The phleet profile (issue 4), then each ship's secrets and admirals (issue 6).
      const { flags, positionals } = parse('info', rest, { root: { type: 'string' }, phleet: { type: 'string' } });
      noPositionals('info', positionals);
      const { info } = await import('./secrets.js');
      return info(flags);
    }
    // Logs, attach, dashboard (issue 5).
    case 'logs':
    case 'attach':
    case 'dashboard':
      return observe(cmd, rest);
    default:
      throw new UsageError(`unknown command '${cmd}'`);
  }
}

async function status(args: string[]): Promise<number> {
  const { flags, positionals } = parse('status', args, { ...PHLEET_OPTIONS, json: { type: 'boolean' } });
  noPositionals('status', positionals);
  const { phleetStatus } = await import('./phleet.js');
  return phleetStatus(flags);
}

/** `logs`, `attach`, `dashboard` (issue 5). */
async function observe(cmd: string, args: string[]): Promise<number> {
  if (cmd === 'logs') {
    const { flags, positionals } = parse('logs', args, {
      ...PHLEET_OPTIONS, follow: { type: 'boolean', short: 'f' }, grep: { type: 'string' },
      lines: { type: 'string', short: 'n' }, since: { type: 'string' }, json: { type: 'boolean' },
    });
    const { phleetLogs, LogsFailure } = await import('./logs.js');
    const { optionalProfile } = await import('./phleet.js');
    const { selectShips, shipTimeoutMs } = await import('../phleet/select.js');
    try {
      const ships = selectShips(flags, process.env, await optionalProfile(flags));
      return await phleetLogs(ships, flags, positionals, shipTimeoutMs(flags, process.env));
    } catch (err) {
      if (err instanceof LogsFailure) throw new Failure(err.message);
      throw err;
    }
  }
  if (cmd === 'attach') {
    const { attach, splitCommand, AttachFailure } = await import('./attach.js');
    const { own, command } = splitCommand(args);
    const { flags, positionals } = parse('attach', own, { root: { type: 'string' } });
    if (positionals.length !== 1) throw new UsageError('attach: needs exactly one SERVICE_PATH (then optionally -- COMMAND)');
    if (!positionals[0].startsWith('/')) throw new UsageError(`attach: SERVICE_PATH must start with "/", got '${positionals[0]}'`);
    try {
      return await attach(transportFor(flags), resolveRoot(flags, process.env), positionals[0], command);
    } catch (err) {
      if (err instanceof AttachFailure) throw new Failure(err.message);
      throw err;
    }
  }
  const { flags, positionals } = parse('dashboard', args, { root: { type: 'string' }, host: { type: 'string' }, phleet: { type: 'string' }, ship: { type: 'string' } });
  noPositionals('dashboard', positionals);
  // A one-time login code (10 minutes) from the root-only control socket
  // (over ssh for a remote ship): the ship's token never goes into a URL.
  const { dashboardShip } = await import('./dashboard.js');
  const { ship, host } = await dashboardShip(flags);
  const res = await ship.transport.request({ cmd: 'dashboard-login' });
  if (!res.ok) throw new Failure(res.error ?? 'dashboard login failed');
  const port = Number(res.httpPort);
  process.stdout.write(`http://${host}${port === 80 ? '' : `:${port}`}/starphleet/dashboard/login?code=${String(res.code)}\n`);
  return 0;
}

async function ship(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'run': {
      const { flags, positionals } = parse('ship run', rest, SHIP_OPTIONS);
      noPositionals('ship run', positionals);
      const config = resolveShipConfig(flags, process.env);
      const { runShip } = await import('./ship-run.js');
      return runShip(config);
    }
    case 'down': {
      const { flags, positionals } = parse('ship down', rest, { root: { type: 'string' } });
      noPositionals('ship down', positionals);
      const { shipDown } = await import('./ship-down.js');
      return shipDown(resolveRoot(flags, process.env));
    }
    case 'build-base': {
      const { flags, positionals } = parse('ship build-base', rest, { root: { type: 'string' }, debian: { type: 'boolean' }, rebuild: { type: 'boolean' } });
      noPositionals('ship build-base', positionals);
      const { buildBase } = await import('./ship-run.js');
      return buildBase(resolveRoot(flags, process.env), flags.debian ? 'debian' : 'host', Boolean(flags.rebuild));
    }
    case 'supervise': {
      const { flags, positionals } = parse('ship supervise', rest, { root: { type: 'string' }, 'secrets-stdin': { type: 'boolean' } });
      if (positionals.length !== 1) throw new UsageError('ship supervise: needs exactly one container NAME');
      const { supervise, readSecrets } = await import('../container/supervisor.js');
      const { assets } = await import('../core/assets.js');
      const secrets = flags['secrets-stdin'] ? await readSecrets(process.stdin) : Buffer.alloc(0);
      return supervise(shipPaths(resolveRoot(flags, process.env)), assets().sh, positionals[0], ['/starphleet/app-start', '--secrets-fd', '3'], secrets);
    }
    case 'control': {
      const { flags, positionals } = parse('ship control', rest, { root: { type: 'string' } });
      noPositionals('ship control', positionals);
      const { relayControl } = await import('./ship-run.js');
      return relayControl(transportFor(flags));
    }
    case 'service': {
      // Used by `add ship`/`remove ship` on the ship itself: run the agent under the host's init.
      const [action, ...more] = rest;
      if (action !== 'install' && action !== 'uninstall') throw new UsageError('ship service: needs install or uninstall');
      const { flags, positionals } = parse('ship service', more, { root: { type: 'string' } });
      noPositionals('ship service', positionals);
      const { shipService } = await import('../phleet/ship-service.js');
      return shipService(action, resolveRoot(flags, process.env));
    }
    case undefined:
      throw new UsageError('ship: needs a subcommand (run, down, build-base, service)');
    default:
      throw new UsageError(`ship: unknown subcommand '${sub}'`);
  }
}
