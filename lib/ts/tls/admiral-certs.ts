// The admiral's copy of the phleet's own certificates, and catch-up: a ship
// that missed a `cert add` or `cert remove` (added later, or down then) gets
// exactly the changes it lacks, in order, each key sealed to its own ship
// key and the message signed.
//   PROFILE/certs.json  per domain its latest op, version, time, certificate
//                       and key sealed to the profile key (0600)
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { open, publicOfPrivate, seal, type Sealed, type SignedMessage } from '../secrets/crypto.js';
import { profilePrivateKey, type Signer } from '../secrets/sync.js';
import type { ShipTransport } from '../phleet/transport.js';
import type { CertListing } from './cert-control.js';
import { certKeyName, type CertMessage } from './own-cert.js';

export interface CertEntry {
  op: 'add' | 'remove';
  version: number;
  at: string;
  cert?: string;
  sealed?: Sealed;   // the key, sealed to the profile key
}

export interface CertCopySet {
  version: number;
  entries: Record<string, CertEntry>;
}

export interface CertChange {
  op: 'add' | 'remove';
  domain: string;
  version: number;
  at: string;
  cert?: string;
  key?: Buffer;      // opened in memory only
}

export class AdmiralCerts {
  private readonly keyFile: string;
  private readonly file: string;

  constructor(profileDir: string) {
    this.keyFile = join(profileDir, 'secrets.key');
    this.file = join(profileDir, 'certs.json');
  }

  load(): CertCopySet {
    if (!existsSync(this.file)) return { version: 0, entries: {} };
    return JSON.parse(readFileSync(this.file, 'utf8')) as CertCopySet;
  }

  record(change: CertChange): void {
    const set = this.load();
    const entry: CertEntry = { op: change.op, version: change.version, at: change.at };
    if (change.op === 'add' && change.key) {
      entry.cert = change.cert;
      entry.sealed = seal(change.key, certKeyName(change.domain), publicOfPrivate(profilePrivateKey(this.keyFile)));
    }
    set.entries[change.domain] = entry;
    set.version = Math.max(set.version, change.version);
    writeFileSync(`${this.file}.tmp`, `${JSON.stringify(set, null, 2)}\n`, { mode: 0o600 });
    chmodSync(`${this.file}.tmp`, 0o600);
    renameSync(`${this.file}.tmp`, this.file);
  }

  /** The changes a ship at shipVersion lacks, oldest first. */
  missing(shipVersion: number): CertChange[] {
    const entries = Object.entries(this.load().entries).filter(([, e]) => e.version > shipVersion).sort((a, b) => a[1].version - b[1].version);
    const key = entries.some(([, e]) => e.sealed) ? profilePrivateKey(this.keyFile) : '';
    return entries.map(([domain, e]) => ({
      op: e.op, domain, version: e.version, at: e.at, cert: e.cert,
      key: e.sealed ? open(e.sealed, certKeyName(domain), key) : undefined,
    }));
  }
}

async function call<T>(t: ShipTransport, req: Record<string, unknown> & { cmd: string }): Promise<T> {
  const res = await t.request(req, 30_000);
  if (!res.ok) throw new Error(res.error ?? `${req.cmd} failed`);
  return res as unknown as T;
}

export function listCerts(t: ShipTransport): Promise<CertListing> {
  return call<CertListing>(t, { cmd: 'cert-list' });
}

/** One change, sealed to this ship and signed, applied there. */
export async function applyCertChange(t: ShipTransport, change: CertChange, sign: Signer): Promise<void> {
  const key = await call<{ publicKey: string; fingerprint: string }>(t, { cmd: 'secrets-key' });
  const m: CertMessage = {
    v: 1, kind: 'cert', op: change.op, domain: change.domain, version: change.version, at: change.at, ship: key.fingerprint,
    ...(change.op === 'add' && change.key ? { cert: change.cert, sealed: seal(change.key, certKeyName(change.domain), key.publicKey) } : {}),
  };
  const payload = JSON.stringify(m);
  const message: SignedMessage = { payload, signature: await sign(payload) };
  await call(t, { cmd: 'cert-apply', payload: message.payload, signature: message.signature });
}

/** Bring one ship's own certificates up to the admiral's copy; how many changes went. */
export async function catchUpCerts(copy: AdmiralCerts, t: ShipTransport, sign: Signer): Promise<number> {
  const todo = copy.missing((await listCerts(t)).version);
  for (const change of todo) await applyCertChange(t, change, sign);
  return todo.length;
}
