// A container's own /etc/hosts: the base's lines plus its own hostname, so a
// lookup of the container's name (Python's http.server calls getfqdn() when
// it binds; Java's getLocalHost(), …) is answered from the file instead of
// waiting for a DNS server the container cannot reach (10 s with the demo's
// and tests' `--nat off`).
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The base's hosts text with "IP HOSTNAME" added (once) for the container. */
export function hostsWithName(baseHosts: string, hostname: string, ip: string): string {
  const kept = baseHosts.split('\n').filter((line) => {
    const fields = line.replace(/#.*/, '').trim().split(/\s+/);
    return !(fields.length > 1 && fields.slice(1).includes(hostname));
  });
  const text = kept.join('\n').replace(/\n*$/, '\n');
  return `${text === '\n' ? '' : text}${ip} ${hostname}\n`;
}

/** Writes the container's /etc/hosts into its overlay's upper dir (DIR/delta). */
export function writeContainerHosts(containerDir: string, baseRootfs: string, hostname: string, ip: string, owner = 0, group = 0): void {
  let base = '127.0.0.1 localhost\n';
  try {
    base = readFileSync(join(baseRootfs, 'etc', 'hosts'), 'utf8');
  } catch {
    // a base without /etc/hosts: localhost only
  }
  const etc = join(containerDir, 'delta', 'etc');
  mkdirSync(etc, { recursive: true });
  writeFileSync(join(etc, 'hosts'), hostsWithName(base, hostname, ip), { mode: 0o644 });
  // The container's root owns what is in its overlay's upper dir; the upper
  // dir's modes are what the container sees (the agent's umask is 077).
  chownSync(etc, owner, owner);
  chmodSync(etc, 0o755);
  // Read by the container's app user through its group, by no one else.
  chownSync(join(etc, 'hosts'), owner, group);
  chmodSync(join(etc, 'hosts'), 0o640);
}
