// `starphleet balancer`: a front load balancer config (nginx or HAProxy)
// for the phleet's ships.
import { assets } from '../../core/assets.js';
import { UsageError } from '../../core/config.js';
import { balancerShipName, renderBalancer } from '../../nginx/balancer.js';
import { loadProfile, starphleetHome, type LoadedProfile } from '../../phleet/profile.js';
import { acrossShips, handleFor, shipEntry, shipTimeoutMs, type ShipEntry } from '../../phleet/select.js';
import { parseTarget } from '../../phleet/ssh-transport.js';
import type { CommandInput } from '../command.js';
import { Failure } from '../errors.js';

export async function balancer({ flags }: CommandInput): Promise<number> {
  const profile = await loadProfile(starphleetHome(), typeof flags.phleet === 'string' ? flags.phleet : undefined);
  const format = typeof flags.format === 'string' ? flags.format : 'nginx';
  if (format !== 'nginx' && format !== 'nginx-stream' && format !== 'haproxy') {
    throw new UsageError(`balancer: --format must be nginx, nginx-stream or haproxy, got '${format}'`);
  }
  const listen = typeof flags.listen === 'string' ? flags.listen : format === 'nginx-stream' ? '443' : '80';
  const httpsListen = typeof flags['https-listen'] === 'string' ? flags['https-listen'] : undefined;
  const entries = profile.ships.map(shipEntry);
  // A local ship (remembered by `init --root`) is named by its root, and its
  // port is not in the profile: ask the ship itself.
  const localPorts = await localPortsOf(entries.filter((e) => !e.target && e.httpPort === undefined), profile, shipTimeoutMs(flags, process.env));
  const shipsIn = entries.map((e) => ({
    name: e.target ? e.name : balancerShipName(e.name),
    host: e.target ? parseTarget(e.target).host : '127.0.0.1',
    httpPort: e.httpPort ?? localPorts.get(e.root)?.http ?? 80,
    httpsPort: e.httpsPort ?? localPorts.get(e.root)?.https ?? 443,
  }));
  try {
    process.stdout.write(renderBalancer({ phleet: profile.name, format, listen, httpsListen, ships: shipsIn }, assets().templates));
  } catch (err) {
    throw new Failure(`balancer: ${(err as Error).message}`);
  }
  return 0;
}

async function localPortsOf(entries: ShipEntry[], profile: LoadedProfile, timeoutMs: number): Promise<Map<string, { http: number; https?: number }>> {
  const ports = new Map<string, { http: number; https?: number }>();
  const results = await acrossShips(entries.map((e) => handleFor(e, profile)), async (h) => {
    const res = await h.transport.request({ cmd: 'status' }, timeoutMs);
    const ship = res.ship as { httpPort?: unknown; httpsPort?: unknown } | undefined;
    if (!res.ok || typeof ship?.httpPort !== 'number') throw new Error(res.error ?? 'status gave no HTTP port');
    return { http: ship.httpPort, https: typeof ship.httpsPort === 'number' ? ship.httpsPort : undefined };
  }, timeoutMs);
  for (const r of results) {
    if (!r.ok || r.value === undefined) throw new Failure(`balancer: ship ${r.ship.label}: cannot learn its HTTP port (${r.error ?? 'no answer'})`);
    ports.set(r.ship.entry.root, r.value);
  }
  return ports;
}
