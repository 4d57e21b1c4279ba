// `ship run` (the agent in the foreground), `ship build-base`, `ship control`.
import { createInterface } from 'node:readline';
import { Agent } from '../agent/agent.js';
import { assets } from '../core/assets.js';
import type { ShipConfig } from '../core/config.js';
import { ensureBase } from '../container/container.js';
import { UsageError } from '../core/config.js';
import { LogHub, LogSink } from '../logs/hub.js';
import type { Logger } from '../core/log.js';
import { shipPaths } from '../core/paths.js';
import { rmSync } from 'node:fs';
import type { ControlRequest, ShipTransport } from '../phleet/transport.js';

export async function runShip(config: ShipConfig): Promise<number> {
  if (process.getuid?.() !== 0) throw new Error('ship run needs root (LXC containers, the bridge and nginx)');
  const hub = logHubFromEnv(process.env);
  const logger: Logger = (source, service, line) => hub.emit({ time: new Date().toISOString(), ship: hub.ship, service, container: null, source, line });
  const agent = new Agent(config, logger, hub);
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
 * default 10 000), STARPHLEET_SHIP_NAME (default the host name).
 */
export function logHubFromEnv(env: NodeJS.ProcessEnv): LogHub {
  const linesText = env.STARPHLEET_LOG_LINES || '10000';
  if (!/^\d+$/.test(linesText) || Number(linesText) < 10 || Number(linesText) > 10_000_000) {
    throw new UsageError(`STARPHLEET_LOG_LINES must be a whole number from 10 to 10000000, got '${linesText}'`);
  }
  let sink: LogSink;
  try {
    sink = new LogSink(env.STARPHLEET_LOG_SINK || 'stdout', (msg) => process.stderr.write(`${msg}\n`));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return new LogHub({ ship: env.STARPHLEET_SHIP_NAME || undefined, ringLines: Number(linesText), sink });
}

export async function buildBase(root: string, base: string, rebuild: boolean): Promise<number> {
  const paths = shipPaths(root);
  if (rebuild) rmSync(`${paths.base(base)}/ready`, { force: true });
  const built = await ensureBase(paths, assets().lxc, base, (line) => process.stdout.write(line + '\n'));
  process.stdout.write(`base ${base} ready: ${built.rootfs}\n`);
  return 0;
}

/** One request line from stdin to the agent, its answer to stdout. */
export async function relayControl(transport: ShipTransport): Promise<number> {
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (line.trim() === '') continue;
    const req = JSON.parse(line) as ControlRequest;
    if (req.stream === true) {
      // A streaming request (logs --follow) is relayed until either side ends it.
      const s = transport.stream(req, (msg) => { process.stdout.write(JSON.stringify(msg) + '\n'); });
      process.stdout.on('error', () => s.close());
      await s.done;
      continue;
    }
    const res = await transport.request(req, 120_000);
    process.stdout.write(JSON.stringify(res) + '\n');
  }
  return 0;
}
