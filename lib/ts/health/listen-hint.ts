// Why a healthcheck was refused: what the app in the container listens on.
// A new user's app that binds 127.0.0.1 (or a port of its own instead of
// $PORT) is refused at the container's address; the sockets the container's
// network namespace listens on (/proc/<pid>/net/tcp, tcp6) tell which.
import { readFileSync } from 'node:fs';
import { runOrThrow } from '../core/sh.js';

export interface Listener { address: string; port: number }

/** Listening sockets of a /proc/net/tcp or tcp6 table. */
export function parseListeners(table: string): Listener[] {
  const out: Listener[] = [];
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[3] !== '0A') continue; // 0A: LISTEN
    const [hexAddr, hexPort] = f[1].split(':');
    out.push({ address: decodeAddress(hexAddr), port: parseInt(hexPort, 16) });
  }
  return out;
}

function decodeAddress(hex: string): string {
  if (hex.length === 8) return [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
  if (/^0{32}$/.test(hex)) return '::';
  if (hex === '00000000000000000000000001000000') return '::1';
  if (/^0{16}FFFF0000/i.test(hex)) return decodeAddress(hex.slice(24)); // ::ffff:a.b.c.d
  return 'an IPv6 address';
}

const LOOPBACK = /^(127\.|::1$)/;

/**
 * One sentence for a refused healthcheck, or null when the sockets do not
 * explain it. `settled`: only what an app still starting would not show
 * (it listens, but on 127.0.0.1 or on another port), never "nothing listens".
 */
export function listenHint(listeners: Listener[], port: number, settled = false): string | null {
  const onPort = listeners.filter((l) => l.port === port);
  if (onPort.length > 0 && onPort.every((l) => LOOPBACK.test(l.address))) {
    return `the app listens on ${onPort[0].address}:${port} only; it must listen on all interfaces (0.0.0.0 or ::) to be reached`;
  }
  if (onPort.length === 0) {
    const others = [...new Set(listeners.map((l) => l.port))].sort((a, b) => a - b);
    if (settled && others.length === 0) return null;
    return others.length > 0
      ? `the app listens on port ${others.join(', ')}, not on PORT=${port}: it must listen on $PORT`
      : `nothing listens in the container: the app must listen on $PORT (${port})`;
  }
  return null;
}

/** The hint for a running container (LXC's init pid gives its network namespace). */
export async function containerListenHint(lxcpath: string, name: string, port: number, settled = false): Promise<string | null> {
  const pid = (await runOrThrow('lxc-info', ['-P', lxcpath, '-n', name, '-p', '-H'])).trim();
  if (!/^\d+$/.test(pid)) return null;
  const read = (f: string): string => { try { return readFileSync(`/proc/${pid}/net/${f}`, 'utf8'); } catch { return ''; } };
  return listenHint([...parseListeners(read('tcp')), ...parseListeners(read('tcp6'))], port, settled);
}
