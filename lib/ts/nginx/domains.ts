// Domains: an orders file's DOMAINS="shop.example.com www.shop.example.com"
// gives those host names to that service (at "/") and to the services below
// it in the HQ tree (at their paths relative to it). Pure: parsing, and who
// owns each name when two services claim one (the path that sorts first).

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOST_NAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})+$`);

/** The names of a DOMAINS value, lower-cased; throws one line naming a bad one. */
export function parseDomains(value: string | undefined): string[] {
  const names = (value ?? '').split(/[\s,]+/).map((d) => d.trim().toLowerCase()).filter(Boolean);
  for (const name of names) {
    if (!HOST_NAME.test(name)) throw new Error(`DOMAINS: '${name}' is not a host name (like shop.example.com)`);
  }
  return [...new Set(names)];
}

export interface DomainClaim { path: string; domains: string[] }

export interface DomainOwners {
  /** Domain → the service path that owns it. */
  owner: Map<string, string>;
  /** Service path → why some of its DOMAINS are not its (another service's already). */
  conflicts: Map<string, string>;
}

/** Who owns each domain: the claimant whose path sorts first; the others get an error. */
export function domainOwners(claims: DomainClaim[]): DomainOwners {
  const owner = new Map<string, string>();
  const conflicts = new Map<string, string>();
  for (const c of [...claims].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const taken: string[] = [];
    for (const d of c.domains) {
      const first = owner.get(d);
      if (first === undefined) owner.set(d, c.path);
      else if (first !== c.path) taken.push(`${d} is already ${first}'s`);
    }
    if (taken.length > 0) conflicts.set(c.path, `DOMAINS: ${taken.join(', ')} (not routed here)`);
  }
  return { owner, conflicts };
}

/** The path a service has under a domain owned by the service at `top`, or null when it is not below it. */
export function pathUnder(top: string, path: string): string | null {
  if (path === top) return '/';
  if (top === '/') return path;
  return path.startsWith(`${top}/`) ? path.slice(top.length) : null;
}
