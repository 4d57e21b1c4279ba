// `starphleet top [--json]`: each service's request rate, errors, latency
// and memory, from the front door's metrics. On a terminal it redraws every
// 2 s until interrupted; otherwise (a pipe, cron) it prints once.
import { formatTop, type ServiceMetricsView } from '../../metrics/view.js';
import { selectShips, shipTimeoutMs } from '../../phleet/select.js';
import type { CommandInput } from '../command.js';
import { Failure } from '../errors.js';
import { optionalProfile, out } from '../shared.js';

export async function top({ flags }: CommandInput): Promise<number> {
  const profile = await optionalProfile(flags);
  const hs = selectShips(flags, process.env, profile);
  if (hs.length !== 1) throw new Failure(`top: the phleet has ${hs.length} ships; name one with --ship NAME (or --root DIR)`);
  const h = hs[0];
  const timeout = shipTimeoutMs(flags, process.env);
  const read = async (): Promise<ServiceMetricsView[]> => {
    const res = await h.transport.request({ cmd: 'metrics', points: Boolean(flags.json) }, timeout);
    if (!res.ok) throw new Failure(`${h.label}: ${res.error ?? 'metrics failed'}`);
    return res.services as ServiceMetricsView[];
  };
  if (flags.json) { out(JSON.stringify({ ship: h.label, services: await read() }, null, 2)); return 0; }
  if (!process.stdout.isTTY) { out(formatTop(await read())); return 0; }
  let stop = false;
  process.on('SIGINT', () => { stop = true; });
  while (!stop) {
    const table = formatTop(await read());
    process.stdout.write(`\x1b[H\x1b[2J${h.label}  ${new Date().toISOString().slice(11, 19)}  (every 2 s; ^C ends)\n\n${table}\n`);
    await new Promise((r) => setTimeout(r, 2000));
  }
  return 0;
}
