// `ship control`: the control channel carried over ssh. Each request line
// from stdin goes to the local agent, its answer to stdout.
import { createInterface } from 'node:readline';
import type { ControlRequest } from '../../phleet/transport.js';
import type { CommandInput } from '../command.js';
import { transportFor } from '../shared.js';

export async function shipControl({ flags }: CommandInput): Promise<number> {
  const transport = transportFor(flags);
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
