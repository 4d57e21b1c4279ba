// Which service owns each orders DOMAINS name on this ship: derived from the
// services' orders every time it is asked (routes and status agree, nothing
// stored). Orders with a bad DOMAINS value never get this far (orders error).
import { domainOwners, parseDomains, type DomainOwners } from '../nginx/domains.js';
import type { ServiceRecord } from './state.js';

export function shipDomains(services: Record<string, ServiceRecord>): DomainOwners {
  return domainOwners(Object.values(services).map((s) => ({ path: s.path, domains: domainsOf(s) })));
}

/** The domains of the service at `path` that are its own. */
export function ownedDomains(owners: DomainOwners, path: string): string[] {
  return [...owners.owner].filter(([, p]) => p === path).map(([d]) => d).sort();
}

function domainsOf(s: ServiceRecord): string[] {
  try {
    return parseDomains(s.orders?.env.DOMAINS);
  } catch {
    return [];
  }
}
