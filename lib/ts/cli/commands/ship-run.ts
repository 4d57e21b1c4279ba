// `ship run`: the agent in the foreground until SIGTERM or SIGINT.
import { Agent } from '../../agent/agent.js';
import { reachAssetsThrough } from '../../core/assets.js';
import { openReachableRoot } from '../../core/reachable-root.js';
import { resolveShipConfig, UsageError } from '../../core/config.js';
import { DEFAULT_RING_BYTES, DEFAULT_SERVICES_RING_BYTES, LogHub, LogSink } from '../../logs/hub.js';
import type { Logger } from '../../core/log.js';
import type { CommandInput } from '../command.js';
import { reexecWithJitOff } from '../../core/runtime-reexec.js';
import { self } from '../../core/self.js';

export async function shipRun({ flags }: CommandInput): Promise<number> {
  const config = resolveShipConfig(flags, process.env);
  if (process.getuid?.() !== 0) throw new Error('ship run needs root (LXC containers, the bridge and nginx)');
  reexecWithJitOff(self(), process.argv.slice(2));
  const hub = logHubFromEnv(process.env);
  const logger: Logger = (source, service, line) => hub.emit({ time: new Date().toISOString(), ship: hub.ship, service, container: null, source, line });
  const reachable = await openReachableRoot(config.root);
  if (reachable !== config.root) {
    reachAssetsThrough(config.root, reachable);
    logger('agent', null, `${config.root} sits under a private folder: the ship reaches it as ${reachable} (a bind mount; ship down removes it)`);
  }
  const agent = new Agent(config, logger, hub, reachable);
  let stopped = false;
  const done = new Promise<number>((resolve) => {
    const stop = (sig: string): void => {
      if (stopped) return;
      stopped = true;
      logger('agent', null, `${sig}: agent stopping; containers and nginx keep serving`);
      void agent.stop().then(() => resolve(0));
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
  try {
    await agent.start();
  } catch (err) {
    await agent.abortStart().catch(() => undefined);
    throw err;
  }
  void agent.run();
  const code = await done;
  setImmediate(() => process.exit(code)); // supervisors are detached; nothing else to wait for
  return code;
}

/**
 * The log stream's settings: STARPHLEET_LOG_SINK (stdout, none, file:/PATH,
 * unix:/PATH; default stdout), STARPHLEET_LOG_LINES (ring per service,
 * default 10 000), STARPHLEET_LOG_RING_BYTES (the same ring's byte budget,
 * default 512 KiB), STARPHLEET_LOG_RINGS_BYTES (every service's ring
 * together, default 16 MiB), STARPHLEET_SHIP_NAME (default the host name).
 */
export function logHubFromEnv(env: NodeJS.ProcessEnv): LogHub {
  const linesText = env.STARPHLEET_LOG_LINES || '10000';
  if (!/^\d+$/.test(linesText) || Number(linesText) < 10 || Number(linesText) > 10_000_000) {
    throw new UsageError(`STARPHLEET_LOG_LINES must be a whole number from 10 to 10000000, got '${linesText}'`);
  }
  const bytesText = env.STARPHLEET_LOG_RING_BYTES || String(DEFAULT_RING_BYTES);
  if (!/^\d+$/.test(bytesText) || Number(bytesText) < 4096 || Number(bytesText) > 1024 ** 3) {
    throw new UsageError(`STARPHLEET_LOG_RING_BYTES must be a whole number from 4096 to 1073741824, got '${bytesText}'`);
  }
  const totalText = env.STARPHLEET_LOG_RINGS_BYTES || String(DEFAULT_SERVICES_RING_BYTES);
  if (!/^\d+$/.test(totalText) || Number(totalText) < 65536 || Number(totalText) > 1024 ** 4) {
    throw new UsageError(`STARPHLEET_LOG_RINGS_BYTES must be a whole number from 65536 to 1099511627776, got '${totalText}'`);
  }
  let sink: LogSink;
  try {
    sink = new LogSink(env.STARPHLEET_LOG_SINK || 'stdout', (msg) => process.stderr.write(`${msg}\n`));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return new LogHub({ ship: env.STARPHLEET_SHIP_NAME || undefined, ringLines: Number(linesText), ringBytes: Number(bytesText), servicesRingBytes: Number(totalText), sink });
}
