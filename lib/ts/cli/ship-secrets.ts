// The phleet's secrets (and own certificates) as they reach ships: one ship's delivery, and
// catching every reachable ship up to the admiral's copy of the set.
import { signPayload } from '../secrets/admiral-sign.js';
import type { LoadedProfile } from '../phleet/profile.js';
import { acrossShips, type ShipHandle } from '../phleet/select.js';
import { TransportDelivery, type SecretDelivery } from '../secrets/delivery.js';
import { AdmiralCopy, catchUp } from '../secrets/sync.js';
import { AdmiralCerts, catchUpCerts } from '../tls/admiral-certs.js';

export function deliveryFor(ship: ShipHandle): SecretDelivery {
  return new TransportDelivery(ship.transport, `ship ${ship.label}`);
}

/**
 * Bring every reachable ship up to the admiral's copy of the secret set, and
 * of the own certificates (quietly; failures show later). Returns how many
 * secret changes each ship got.
 */
export async function catchUpShips(profile: LoadedProfile, ships: ShipHandle[], timeoutMs: number): Promise<Map<ShipHandle, number>> {
  const copy = new AdmiralCopy(profile.dir);
  const certs = new AdmiralCerts(profile.dir);
  const sign = (payload: string): Promise<string> => signPayload(profile.keyFile, payload);
  const results = await acrossShips(ships, async (h) => {
    // Root reaching a ship on this machine through its root-only control
    // socket is trusted there already: it enrolls the profile's key (so
    // `init`, then `ship run`, then `set` just works).
    if (!h.entry.target && process.getuid?.() === 0) await deliveryFor(h).enroll(profile.publicKey).catch(() => undefined);
    const n = await catchUp(copy, deliveryFor(h), sign);
    if (certs.load().version > 0) await catchUpCerts(certs, h.transport, sign).catch(() => 0);
    return n;
  }, timeoutMs);
  const delivered = new Map<ShipHandle, number>();
  for (const r of results) if (r.ok && r.value) delivered.set(r.ship, r.value);
  return delivered;
}
