// The phleet's secrets on one ship: the ship's X25519 key pair, the versioned
// set (values stay sealed to the ship key: encrypted at rest), the admiral
// keys enrolled over the control channel, and the checks a message passes.
// Everything lives in ROOT/secrets (0700), files 0600. Values are decrypted
// only in memory, when a container starts (or `attach` asks for them).
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fingerprint, keyId, publicKeyLines, verifyPayload } from './admiral-sign.js';
import {
  applyMessage, emptySet, exportLines, generateShipKeyPair, isShipSetting, open, openSet, publicOfPrivate, seal, shipFingerprint,
  type Sealed, type SecretMessage, type SecretSet, type SignedMessage,
} from './crypto.js';
import { shipPaths, type ShipPaths } from '../core/paths.js';

export function secretPaths(root: string): ShipPaths['secrets'] {
  return shipPaths(root).secrets;
}

function writePrivate(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export interface SecretListing {
  version: number;
  rollout: number;
  secrets: Array<{ name: string; version: number; at: string }>;
}

export class ShipSecrets {
  readonly p: ReturnType<typeof secretPaths>;

  /** hqDir: the current headquarters snapshot, whose authorized_keys/ holds trusted admiral keys. */
  constructor(root: string, private readonly hqDir: () => string | null = () => null) {
    this.p = secretPaths(root);
  }

  /** Make the ship key pair on first start; afterwards check its mode. */
  ensureKey(): void {
    mkdirSync(this.p.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.p.dir, 0o700);
    mkdirSync(this.p.scratch, { recursive: true, mode: 0o700 });
    if (!existsSync(this.p.shipKey)) {
      const pair = generateShipKeyPair();
      writePrivate(this.p.shipKey, pair.privatePem);
      writeFileSync(this.p.shipPub, `${pair.publicRaw}\n`, { mode: 0o600 });
    }
    if ((statSync(this.p.shipKey).mode & 0o077) !== 0) chmodSync(this.p.shipKey, 0o600);
    if (!existsSync(this.p.shipPub)) writeFileSync(this.p.shipPub, `${publicOfPrivate(this.privateKey())}\n`, { mode: 0o600 });
  }

  private privateKey(): string {
    return readFileSync(this.p.shipKey, 'utf8');
  }

  /** Seal a value (a certificate's key) to this ship's own key. */
  sealToShip(value: Buffer, name: string): Sealed {
    return seal(value, name, this.publicKey());
  }

  /** Open a value sealed to this ship's key; throws when it was changed or is another ship's. */
  openForShip(sealed: Sealed, name: string): Buffer {
    return open(sealed, name, this.privateKey());
  }

  publicKey(): string {
    return readFileSync(this.p.shipPub, 'utf8').trim();
  }

  fingerprint(): string {
    return shipFingerprint(this.publicKey());
  }

  load(): SecretSet {
    if (!existsSync(this.p.set)) return emptySet();
    try {
      return JSON.parse(readFileSync(this.p.set, 'utf8')) as SecretSet;
    } catch (err) {
      throw new Error(`${this.p.set}: unreadable secret set (${(err as Error).message})`);
    }
  }

  private save(set: SecretSet): void {
    writePrivate(this.p.set, JSON.stringify(set, null, 2) + '\n');
  }

  enrolledKeys(): string[] {
    return existsSync(this.p.admirals) ? publicKeyLines(readFileSync(this.p.admirals, 'utf8')) : [];
  }

  /** Keys in the HQ's authorized_keys/ folder (every file, OpenSSH lines). */
  hqKeys(): string[] {
    const hq = this.hqDir();
    const dir = hq ? join(hq, 'authorized_keys') : null;
    if (!dir || !existsSync(dir) || !statSync(dir).isDirectory()) return [];
    const keys: string[] = [];
    for (const f of readdirSync(dir).sort()) {
      const file = join(dir, f);
      if (statSync(file).isFile()) keys.push(...publicKeyLines(readFileSync(file, 'utf8')));
    }
    return keys;
  }

  trustedKeys(): string[] {
    return [...this.hqKeys(), ...this.enrolledKeys()];
  }

  /** Trust an admiral key (root only: the caller came through the 0600 control socket). */
  async enroll(line: string): Promise<{ added: boolean; fingerprint: string }> {
    const key = publicKeyLines(line)[0];
    if (!key) throw new Error('enroll: not an OpenSSH public key line');
    const fp = await fingerprint(key);
    const known = this.enrolledKeys().some((k) => keyId(k) === keyId(key));
    if (!known) writePrivate(this.p.admirals, [...this.enrolledKeys(), key].map((k) => `${k}\n`).join(''));
    return { added: !known, fingerprint: fp };
  }

  /** Whether an admiral key this ship trusts signed the message (secrets, certificates). */
  signedByAdmiral(message: SignedMessage): Promise<boolean> {
    if (typeof message?.payload !== 'string' || typeof message.signature !== 'string') return Promise.resolve(false);
    return verifyPayload(this.trustedKeys(), message.payload, message.signature, this.p.scratch);
  }

  /** Verify, check against the set, store. Throws a one-line reason; nothing changes then. */
  async receive(message: SignedMessage): Promise<SecretMessage> {
    if (typeof message?.payload !== 'string' || typeof message.signature !== 'string') {
      throw new Error('secret message: needs a payload and a signature');
    }
    const ok = await verifyPayload(this.trustedKeys(), message.payload, message.signature, this.p.scratch);
    if (!ok) throw new Error('secret message refused: not signed by an admiral key this ship trusts (HQ authorized_keys/ or enrolled: run \'starphleet init NAME --headquarters URL --root ROOT\' on the ship again)');
    const { set, msg } = applyMessage(this.load(), { payload: message.payload, signature: message.signature }, this.fingerprint());
    if (msg.op === 'set') openSet({ ...emptySet(), entries: { [msg.name]: set.entries[msg.name] } }, this.privateKey());
    this.save(set);
    return msg;
  }

  list(): SecretListing {
    const set = this.load();
    return {
      version: set.version,
      rollout: set.rollout,
      secrets: Object.entries(set.entries)
        .filter(([, e]) => e.op === 'set')
        .map(([name, e]) => ({ name, version: e.version, at: e.at }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    };
  }

  /** The decrypted values services get, in memory (ship settings left out). */
  values(): Record<string, Buffer> {
    const values = this.openAll();
    for (const name of Object.keys(values)) if (isShipSetting(name)) delete values[name];
    return values;
  }

  /** One ship setting's value (the hook secret), in memory; null when unset or unreadable. */
  shipSetting(name: string): Buffer | null {
    if (!isShipSetting(name) || !existsSync(this.p.shipKey)) return null;
    try {
      return this.openAll()[name] ?? null;
    } catch {
      return null;
    }
  }

  private openAll(): Record<string, Buffer> {
    const set = this.load();
    try {
      return openSet(set, this.privateKey());
    } catch (err) {
      throw new Error(`${this.p.set}: cannot be decrypted with this ship's key (${(err as Error).message})`);
    }
  }

  /** What a container start reads on fd 3 (see lib/sh/app-start): `export NAME='value'` lines, in memory. */
  exportLines(): Buffer {
    return existsSync(this.p.shipKey) ? exportLines(this.values()) : Buffer.alloc(0);
  }
}

/** The same secrets as `export NAME='value'` lines (bytes), to pipe into a process such as lxc-attach. */
export function secretsExportLinesFor(root: string): Buffer {
  return new ShipSecrets(root).exportLines();
}
