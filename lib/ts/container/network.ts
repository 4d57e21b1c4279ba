// Container addresses on the ship's bridge: pure allocation from the subnet.
// Each address has a fixed MAC derived from it, so a container restarted on
// the same IP never meets a stale ARP entry (platform notes: 10–33 s stalls).

export interface Subnet {
  base: number;     // network address as a 32-bit number
  prefix: number;   // e.g. 24
  gateway: string;  // first host: the bridge's own address
}

export function ipToNumber(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`not an IPv4 address: ${ip}`);
  }
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

export function numberToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseSubnet(cidr: string): Subnet {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr.trim());
  if (!m) throw new Error(`subnet must look like 10.0.3.0/24, got '${cidr}'`);
  const prefix = Number(m[2]);
  if (prefix < 16 || prefix > 29) throw new Error(`subnet prefix must be /16 to /29, got /${prefix}`);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  const base = (ipToNumber(m[1]) & mask) >>> 0;
  return { base, prefix, gateway: numberToIp(base + 1) };
}

/**
 * The address of build slot `slot` (0-based): builds take the highest host
 * addresses, one per slot, so they never meet an app's.
 */
export function buildIp(subnet: Subnet, slot: number): string {
  const size = 2 ** (32 - subnet.prefix);
  if (slot < 0 || slot >= size - 4) throw new Error(`no address for build slot ${slot} in a /${subnet.prefix}`);
  return numberToIp(subnet.base + size - 2 - slot);
}

/** The lowest free host address (gateway, broadcast and the top `reserved` build addresses excluded). */
export function allocateIp(subnet: Subnet, used: Iterable<string>, reserved = 0): string {
  const taken = new Set(used);
  const size = 2 ** (32 - subnet.prefix);
  for (let i = 2; i < size - 1 - reserved; i++) {
    const ip = numberToIp(subnet.base + i);
    if (!taken.has(ip)) return ip;
  }
  throw new Error('no free container address left in the ship subnet');
}

/** 00:16:3e is the Xen/LXC locally used prefix; the rest comes from the IP. */
export function macForIp(ip: string): string {
  const n = ipToNumber(ip);
  const bytes = [(n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  return ['00', '16', '3e', ...bytes.map((b) => b.toString(16).padStart(2, '0'))].join(':');
}
