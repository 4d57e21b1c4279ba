// The admiral's own copy of the phleet's secret set, and catch-up: a ship
// that missed changes (added later, or down during a `set`) gets exactly the
// versions it lacks, in order, each sealed to its own key and signed.
//   PROFILE/secrets.key   X25519 private key of the profile (0600)
//   PROFILE/secrets.json  the set: per name its latest op, version, time and
//                         value sealed to the profile key (0600)
// Ships cannot hand their values to each other (each holds its own key), so
// the admiral's machine, which signs every change anyway, is where a new
// ship's set comes from.
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateShipKeyPair, open, publicOfPrivate, seal, type Sealed, type SecretMessage, type SignedMessage } from './crypto.js';
import type { SecretDelivery } from './delivery.js';

export interface LocalEntry {
  op: 'set' | 'unset';
  version: number;
  at: string;
  sealed?: Sealed;     // sealed to the profile key (op set)
}

export interface LocalSet {
  version: number;
  entries: Record<string, LocalEntry>;
}

function writePrivate(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
  chmodSync(`${file}.tmp`, 0o600);
  renameSync(`${file}.tmp`, file);
}

/** The profile's own X25519 key (made on first use): what the admiral's copies are sealed to. */
export function profilePrivateKey(keyFile: string): string {
  if (!existsSync(keyFile)) writePrivate(keyFile, generateShipKeyPair().privatePem);
  return readFileSync(keyFile, 'utf8');
}

export class AdmiralCopy {
  private readonly keyFile: string;
  private readonly setFile: string;

  constructor(profileDir: string) {
    this.keyFile = join(profileDir, 'secrets.key');
    this.setFile = join(profileDir, 'secrets.json');
  }

  private privateKey(): string {
    return profilePrivateKey(this.keyFile);
  }

  load(): LocalSet {
    if (!existsSync(this.setFile)) return { version: 0, entries: {} };
    return JSON.parse(readFileSync(this.setFile, 'utf8')) as LocalSet;
  }

  /** Remember a change some ship accepted. */
  record(op: 'set' | 'unset', name: string, version: number, at: string, value?: Buffer): void {
    const set = this.load();
    const entry: LocalEntry = { op, version, at };
    if (op === 'set' && value) entry.sealed = seal(value, name, publicOfPrivate(this.privateKey()));
    set.entries[name] = entry;
    set.version = Math.max(set.version, version);
    writePrivate(this.setFile, JSON.stringify(set, null, 2) + '\n');
  }

  /** The value the phleet holds for a name (opened in memory), or null when it is unset. */
  value(name: string): Buffer | null {
    const e = this.load().entries[name];
    return e?.op === 'set' && e.sealed ? open(e.sealed, name, this.privateKey()) : null;
  }

  /** The changes a ship at `shipVersion` lacks, oldest first, values opened (in memory only). */
  missing(shipVersion: number): Array<{ name: string; op: 'set' | 'unset'; version: number; at: string; value?: Buffer }> {
    const set = this.load();
    const key = Object.values(set.entries).some((e) => e.sealed) ? this.privateKey() : '';
    return Object.entries(set.entries)
      .filter(([, e]) => e.version > shipVersion)
      .sort((a, b) => a[1].version - b[1].version)
      .map(([name, e]) => ({ name, op: e.op, version: e.version, at: e.at, value: e.sealed ? open(e.sealed, name, key) : undefined }));
  }
}

export type Signer = (payload: string) => Promise<string>;

/**
 * Bring one ship's set up to the admiral's copy. Returns how many changes
 * were delivered (0 when it was current). A ship ahead of the copy (changes
 * made from another machine) is left alone.
 */
export async function catchUp(copy: AdmiralCopy, d: SecretDelivery, sign: Signer): Promise<number> {
  const listing = await d.list();
  const todo = copy.missing(listing.version);
  if (todo.length === 0) return 0;
  const key = await d.shipKey();
  for (const [i, c] of todo.entries()) {
    const m: SecretMessage = {
      v: 1, op: c.op, name: c.name, version: c.version, at: c.at, ship: key.fingerprint,
      // One rollover for the whole catch-up: only the last change restarts services.
      restart: i === todo.length - 1,
      sealed: c.value ? seal(c.value, c.name, key.publicKey) : undefined,
    };
    const payload = JSON.stringify(m);
    const message: SignedMessage = { payload, signature: await sign(payload) };
    await d.apply(message);
  }
  return todo.length;
}
