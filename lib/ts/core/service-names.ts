// Pure naming rules: HQ directory → service path → service id → container name.
import { createHash } from 'node:crypto';

/** `orders` at HQ-relative dir "" → "/", "users" → "/users", "users/admin" → "/users/admin". */
export function servicePathFor(ordersDir: string): string {
  const clean = ordersDir.split('/').filter((p) => p !== '' && p !== '.').join('/');
  return '/' + clean;
}

function shortHash(text: string, length = 6): string {
  return createHash('sha1').update(text).digest('hex').slice(0, length);
}

/**
 * A readable, unique id for a service path, safe for LXC names and nginx
 * upstream names: "root-<hash>" for "/", "users.admin-<hash>" for
 * "/users/admin". The hash of the exact path makes two paths that sanitize
 * alike still differ, and since every id ends in "-<6 hex>", no id followed
 * by the "--" separator is a prefix of another service's container names.
 */
export function serviceIdFor(path: string): string {
  const body = path === '/' ? 'root' : path
    .slice(1)
    .toLowerCase()
    .replace(/\//g, '.')
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/\.+/g, '.')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 30)
    .replace(/[-.]+$/g, '');
  return `${body || 'svc'}-${shortHash(path)}`;
}

/** Container name: `<service-id>--<commit8>-<seq>`, at most 63 characters. */
export function containerNameFor(serviceId: string, commit: string, seq: number): string {
  const name = `${serviceId}--${commit.slice(0, 8)}-${seq}`;
  if (name.length > 63) throw new Error(`container name too long: ${name}`);
  return name;
}

/** True for an id of the shape serviceIdFor makes ("<name>-<6 hex>"). */
export function isServiceId(id: string): boolean {
  return /^[a-z0-9][a-z0-9.-]*-[0-9a-f]{6}$/.test(id);
}

/** The service id a container name belongs to (exact, never a prefix match). */
export function serviceIdOfContainer(name: string): string | null {
  const m = /^(.+-[0-9a-f]{6})--[0-9a-f]{1,8}-\d+$/.exec(name);
  return m ? m[1] : null;
}
