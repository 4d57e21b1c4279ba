// The ship's certificates. Each is stored in ROOT/certs/<domain>.json (0600)
// with its private key sealed to the ship's key, so it survives an agent or
// ship restart without being issued again. nginx reads live copies, the key
// in plaintext, only from ROOT/tls: a root-only tmpfs (never a disk).
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ShipPaths } from '../core/paths.js';
import { runOrThrow } from '../core/sh.js';
import type { Sealed } from '../secrets/crypto.js';
import { mountsUnder } from '../build/leftovers.js';
import { certKeyName as keyName } from './own-cert.js';

export interface StoredCert {
  domain: string;
  cert: string;         // PEM, the leaf first, then its chain
  key: Sealed;          // the private key, sealed to the ship key
  notBefore: string;
  notAfter: string;
  issuedAt: string;
  source: 'acme' | 'own';
  version?: number;     // own: the own-certificate version that added it (cert add)
}

export interface ShipSealer {
  sealToShip(value: Buffer, name: string): Sealed;
  openForShip(sealed: Sealed, name: string): Buffer;
}

/** The dates of a PEM certificate (its first one); throws a clear error for anything else. */
export function certDates(pem: string): { notBefore: string; notAfter: string } {
  let c: X509Certificate;
  try {
    c = new X509Certificate(pem);
  } catch (err) {
    throw new Error(`not a PEM certificate (${(err as Error).message})`);
  }
  return { notBefore: new Date(c.validFrom).toISOString(), notAfter: new Date(c.validTo).toISOString() };
}

/** Renewal is due once a third of the certificate's lifetime is left. */
export function renewalDue(cert: Pick<StoredCert, 'notBefore' | 'notAfter'>, now: number): boolean {
  const from = Date.parse(cert.notBefore);
  const to = Date.parse(cert.notAfter);
  return now >= to - (to - from) / 3;
}


export class CertStore {
  constructor(private readonly paths: ShipPaths, private readonly sealer: ShipSealer) {}

  read(domain: string): StoredCert | null {
    const file = this.paths.certFile(domain);
    if (!existsSync(file)) return null;
    return JSON.parse(readFileSync(file, 'utf8')) as StoredCert;
  }

  domains(): string[] {
    if (!existsSync(this.paths.certs)) return [];
    return readdirSync(this.paths.certs).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)).sort();
  }

  /** Store a new certificate and key (the key only sealed), then put its live copy on the tmpfs. */
  save(domain: string, certPem: string, keyPem: string, source: StoredCert['source']): StoredCert {
    return this.saveSealed(domain, certPem, this.sealer.sealToShip(Buffer.from(keyPem), keyName(domain)), source);
  }

  /** The same with a key already sealed to this ship (an admiral's `cert add`): opened once, to check it. */
  saveSealed(domain: string, certPem: string, key: Sealed, source: StoredCert['source'], version?: number): StoredCert {
    const stored: StoredCert = {
      domain, cert: certPem, key, ...certDates(certPem), issuedAt: new Date().toISOString(), source,
      ...(version !== undefined ? { version } : {}),
    };
    this.sealer.openForShip(key, keyName(domain));
    mkdirSync(this.paths.certs, { recursive: true });
    chmodSync(this.paths.certs, 0o700);
    const file = this.paths.certFile(domain);
    writeFileSync(`${file}.tmp`, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
    this.writeLive(stored);
    return stored;
  }

  /** The live copy nginx reads (cert and plaintext key) on the tmpfs. */
  writeLive(stored: StoredCert): void {
    const live = this.paths.tlsLive(stored.domain);
    mkdirSync(dirname(live.cert), { recursive: true, mode: 0o700 });
    const key = this.sealer.openForShip(stored.key, keyName(stored.domain));
    writeFileSync(`${live.key}.tmp`, key, { mode: 0o600 });
    writeFileSync(`${live.cert}.tmp`, stored.cert, { mode: 0o600 });
    renameSync(`${live.key}.tmp`, live.key);
    renameSync(`${live.cert}.tmp`, live.cert);
  }

  /** Forget DOMAIN's certificate: the stored one and its live copy. */
  remove(domain: string): boolean {
    const file = this.paths.certFile(domain);
    const had = existsSync(file);
    rmSync(file, { force: true });
    const live = this.paths.tlsLive(domain);
    rmSync(live.cert, { force: true });
    rmSync(live.key, { force: true });
    return had;
  }

  /** The version of the own-certificate list (each cert add or remove raises it). */
  ownVersion(): number {
    const file = join(this.paths.certs, 'own-version');
    return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) || 0 : 0;
  }

  setOwnVersion(version: number): void {
    mkdirSync(this.paths.certs, { recursive: true, mode: 0o700 });
    const file = join(this.paths.certs, 'own-version');
    writeFileSync(`${file}.tmp`, `${version}\n`, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }

  /** Domains whose live copy nginx can load now. */
  liveDomains(): string[] {
    return this.domains().filter((d) => existsSync(this.paths.tlsLive(d).cert) && existsSync(this.paths.tlsLive(d).key));
  }
}

/** ROOT/tls as a tmpfs of its own (root only), mounted once; an existing one is kept. */
export async function ensureTlsTmpfs(paths: ShipPaths): Promise<void> {
  mkdirSync(paths.tls, { recursive: true, mode: 0o700 });
  if (!mountsUnder(dirname(paths.tls)).includes(paths.tls)) {
    await runOrThrow('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0700,nosuid,nodev,noexec', 'starphleet-tls', paths.tls]);
  }
  chmodSync(paths.tls, 0o700);
}

/** Unmount the tmpfs (ship down): the plaintext keys go with it. */
export async function dropTlsTmpfs(paths: ShipPaths): Promise<void> {
  if (mountsUnder(dirname(paths.tls)).includes(paths.tls)) {
    await runOrThrow('umount', [paths.tls]).catch(() => runOrThrow('umount', ['-l', paths.tls]));
  }
  rmSync(paths.tls, { recursive: true, force: true });
}
