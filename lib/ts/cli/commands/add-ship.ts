// `starphleet add ship TARGET`: install a ship over ssh (or upgrade it in
// place), enroll the admiral key, deliver the secrets and the privatize key,
// and remember it in the phleet profile.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { resolveShipConfig, UsageError, type Flags } from '../../core/config.js';
import { addShipEntry, loadProfile, markUsed, starphleetHome } from '../../phleet/profile.js';
import { handleFor, sshShipOf, type ShipEntry } from '../../phleet/select.js';
import { installShip, type ShipSettings } from '../../phleet/ship-install.js';
import { parseTarget, validateRemoteRoot } from '../../phleet/ssh-transport.js';
import { TransportDelivery } from '../../secrets/delivery.js';
import { AdmiralCopy } from '../../secrets/sync.js';
import { privatize } from '../admirals.js';
import type { CommandInput } from '../command.js';
import { out } from '../shared.js';
import { catchUpShips } from '../ship-secrets.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

function initKind(flag: Flags[string]): ShipSettings['init'] {
  if (flag === undefined) return undefined;
  if (flag === 'auto' || flag === 'systemd' || flag === 'upstart' || flag === 'keepalive') return flag;
  throw new UsageError(`add ship: --init must be auto, systemd, upstart or keepalive, got '${String(flag)}'`);
}

export async function addShip({ flags, positionals }: CommandInput): Promise<number> {
  if (positionals.length !== 1) throw new UsageError('add ship: needs exactly one TARGET ([user@]host[:port])');
  const target = positionals[0];
  try {
    parseTarget(target);
  } catch (err) {
    throw new UsageError(`add ship: ${(err as Error).message}`);
  }
  const home = starphleetHome();
  const profile = await loadProfile(home, typeof flags.phleet === 'string' ? flags.phleet : undefined);
  const root = typeof flags.root === 'string' ? flags.root : '/var/starphleet';
  validateRemoteRoot(root);
  const t = parseTarget(target);
  const name = typeof flags.name === 'string' ? flags.name : t.host.replace(/^\[|\]$/g, '').replace(/[^A-Za-z0-9_.-]/g, '-') + (root === '/var/starphleet' ? '' : `-${root.split('/').filter(Boolean).pop() ?? 'root'}`);
  if (!NAME.test(name)) throw new UsageError(`add ship: ship name '${name}' must be letters, digits, '.', '_' or '-' (choose one with --name)`);
  const identity = typeof flags.identity === 'string' ? resolve(flags.identity) : undefined;
  if (identity && !existsSync(identity)) throw new UsageError(`add ship: --identity ${identity}: no such file`);
  const httpPort = typeof flags.port === 'string' ? Number(flags.port) : 80;
  if (!Number.isInteger(httpPort) || httpPort < 1 || httpPort > 65535) throw new UsageError(`add ship: --port must be 1-65535, got '${String(flags.port)}'`);
  const settings: ShipSettings = {
    headquarters: profile.headquarters,
    httpPort,
    pulseSeconds: typeof flags.pulse === 'string' ? Number(flags.pulse) : undefined,
    bridge: typeof flags.bridge === 'string' ? flags.bridge : undefined,
    subnet: typeof flags.subnet === 'string' ? flags.subnet : undefined,
    nat: typeof flags.nat === 'string' ? ['on', '1', 'true'].includes(flags.nat) : undefined,
    base: typeof flags.base === 'string' ? flags.base : undefined,
    init: initKind(flags.init),
    awaitSecrets: new AdmiralCopy(profile.dir).load().version || undefined,
    // The HTTPS settings, checked here as the ship will check them.
    ...shipAcmeSettings(flags),
  };
  if (settings.pulseSeconds !== undefined && (!Number.isInteger(settings.pulseSeconds) || settings.pulseSeconds < 1)) {
    throw new UsageError(`add ship: --pulse must be a whole number of seconds, got '${String(flags.pulse)}'`);
  }
  const entry: ShipEntry = { name, root, target, identity, httpPort, ...(settings.httpsPort ? { httpsPort: settings.httpsPort } : {}) };
  const say = (line: string): void => out(`${name}: ${line}`);
  await installShip(sshShipOf(entry, profile), settings, say);
  // Enroll the phleet's admiral key through the ship's root-only channel,
  // then hand it the current secret set.
  const handle = handleFor(entry, profile);
  const delivery = new TransportDelivery(handle.transport, `ship ${name}`);
  const enrolled = await delivery.enroll(profile.publicKey);
  say(`admiral key ${enrolled.added ? 'enrolled' : 'already trusted'}`);
  addShipEntry(profile, entry);
  const delivered = (await catchUpShips(profile, [handle], 120_000)).get(handle) ?? 0;
  say(`secrets: ${delivered} change${delivered === 1 ? '' : 's'} delivered`);
  const privKey = join(profile.dir, 'privatize_key');
  if (existsSync(privKey)) {
    await privatize(handle.transport, {}, [privKey], (line) => say(line));
  }
  markUsed(home, profile.name);
  out(`ship ${name} added to phleet ${profile.name} (${target}, root ${root})`);
  return 0;
}

function shipAcmeSettings(flags: CommandInput['flags']): Pick<ShipSettings, 'httpsPort' | 'acmeDirectory' | 'acmeEmail' | 'acmeCa'> {
  const given = ['https-port', 'acme-directory', 'acme-email', 'acme-ca'].some((k) => typeof flags[k] === 'string');
  if (!given) return {};
  const ca = typeof flags['acme-ca'] === 'string' ? flags['acme-ca'] : undefined;
  const c = resolveShipConfig({ 'https-port': flags['https-port'], 'acme-directory': flags['acme-directory'], 'acme-email': flags['acme-email'] },
    ca ? { STARPHLEET_ACME_CA: ca } : {});
  return {
    httpsPort: typeof flags['https-port'] === 'string' ? c.httpsPort : undefined,
    acmeDirectory: typeof flags['acme-directory'] === 'string' ? (c.acmeDirectory ?? 'off') : undefined,
    acmeEmail: c.acmeEmail,
    acmeCa: c.acmeCa,
  };
}
