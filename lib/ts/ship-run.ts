// `ship run` (the agent in the foreground), `ship build-base`, `ship control`.
import { createInterface } from 'node:readline';
import { Agent } from './agent.js';
import { assets } from './assets.js';
import type { ShipConfig } from './config.js';
import { ensureBase } from './container.js';
import { stdoutLogger } from './log.js';
import { shipPaths } from './paths.js';
import { rmSync } from 'node:fs';
import type { ControlRequest, ShipTransport } from './transport.js';

export async function runShip(config: ShipConfig): Promise<number> {
  if (process.getuid?.() !== 0) throw new Error('ship run needs root (LXC containers, the bridge and nginx)');
  const agent = new Agent(config, stdoutLogger);
  let stopped = false;
  const done = new Promise<number>((resolve) => {
    const stop = (sig: string): void => {
      if (stopped) return;
      stopped = true;
      stdoutLogger('agent', null, `${sig}: agent stopping; containers and nginx keep serving`);
      void agent.stop().then(() => resolve(0));
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
  await agent.start();
  void agent.run();
  const code = await done;
  setImmediate(() => process.exit(code)); // supervisors are detached; nothing else to wait for
  return code;
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
    const res = await transport.request(JSON.parse(line) as ControlRequest, 120_000);
    process.stdout.write(JSON.stringify(res) + '\n');
  }
  return 0;
}
