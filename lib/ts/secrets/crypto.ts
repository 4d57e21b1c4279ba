// Phleet secrets, the crypto: pure functions on node:crypto only.
// - Each ship has an X25519 key pair; a value is sealed to a ship's public key
//   with an ephemeral X25519 exchange, HKDF-SHA256 and AES-256-GCM (the name
//   of the secret is authenticated data, so a sealed value cannot be moved to
//   another name).
// - A signed message (set or unset) carries a version; the ship's set accepts
//   only versions above its own, so a replayed older message is refused.
import {
  createCipheriv, createDecipheriv, createHash, createPrivateKey, createPublicKey, diffieHellman,
  generateKeyPairSync, hkdfSync, randomBytes, type KeyObject,
} from 'node:crypto';

export const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const MAX_VALUE_BYTES = 64 * 1024;
const INFO = Buffer.from('starphleet-secrets v1');

export interface ShipKeyPair {
  privatePem: string;   // PKCS#8 PEM
  publicRaw: string;    // base64 of the 32-byte X25519 public key
}

export interface Sealed {
  v: 1;
  epk: string;  // ephemeral public key, base64 (32 bytes)
  iv: string;   // 12 bytes, base64
  ct: string;   // ciphertext, base64
  tag: string;  // GCM tag, base64
}

/**
 * Ship settings travel in the same sealed, signed set but are the ship's own:
 * never in a service's (or a build's) environment, and a change of one rolls
 * nothing over (the git push hook's secret).
 */
export const SHIP_SETTING_PREFIX = 'STARPHLEET_SHIP_';
export const HOOK_SECRET = `${SHIP_SETTING_PREFIX}HOOK_SECRET`;
/** The phleet's notification URLs, one per line (they carry tokens). */
export const NOTIFY_URLS = `${SHIP_SETTING_PREFIX}NOTIFY_URLS`;

export function isShipSetting(name: string): boolean {
  return name.startsWith(SHIP_SETTING_PREFIX);
}

/** The checks every name and value passes (CLI and ship alike); null when fine. */
export function secretProblem(name: string, value?: Buffer): string | null {
  if (!NAME_PATTERN.test(name)) return `secret name '${name}' is not valid: use letters, digits and _, not starting with a digit`;
  if (name === 'PORT') return 'PORT cannot be set by a secret: the orders choose the port';
  if (value) {
    if (value.length > MAX_VALUE_BYTES) return `the value of ${name} is ${value.length} bytes; a secret holds at most ${MAX_VALUE_BYTES} bytes (64 KiB)`;
    if (value.includes(0)) return `the value of ${name} holds a NUL byte, which no environment variable can carry`;
  }
  return null;
}

export function generateShipKeyPair(): ShipKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicRaw: rawPublic(publicKey),
  };
}

function rawPublic(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  if (!jwk.x) throw new Error('not an X25519 public key');
  return Buffer.from(jwk.x, 'base64url').toString('base64');
}

export function publicFromRaw(raw: string): KeyObject {
  const bytes = Buffer.from(raw, 'base64');
  if (bytes.length !== 32) throw new Error('a ship public key is 32 bytes of X25519');
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: bytes.toString('base64url') }, format: 'jwk' });
}

export function publicOfPrivate(privatePem: string): string {
  return rawPublic(createPublicKey(createPrivateKey(privatePem)));
}

/** A short fingerprint of a ship's public key: names the ship a message is for. */
export function shipFingerprint(publicRaw: string): string {
  return `SHA256:${createHash('sha256').update(Buffer.from(publicRaw, 'base64')).digest('base64').replace(/=+$/, '')}`;
}

function deriveKey(shared: Buffer, epk: Buffer, rpk: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([epk, rpk]), INFO, 32));
}

function aadFor(name: string): Buffer {
  return Buffer.from(`starphleet-secret:${name}`);
}

/** Encrypt value for the holder of the ship key publicRaw. */
export function seal(value: Buffer, name: string, publicRaw: string): Sealed {
  const recipient = publicFromRaw(publicRaw);
  const eph = generateKeyPairSync('x25519');
  const epk = Buffer.from(rawPublic(eph.publicKey), 'base64');
  const shared = diffieHellman({ privateKey: eph.privateKey, publicKey: recipient });
  const key = deriveKey(shared, epk, Buffer.from(publicRaw, 'base64'));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aadFor(name));
  const ct = Buffer.concat([cipher.update(value), cipher.final()]);
  return { v: 1, epk: epk.toString('base64'), iv: iv.toString('base64'), ct: ct.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
}

/** Decrypt a sealed value with the ship's private key; throws when it was not sealed to it or was changed. */
export function open(sealed: Sealed, name: string, privatePem: string): Buffer {
  if (sealed?.v !== 1) throw new Error(`sealed value of ${name}: unknown format`);
  const priv = createPrivateKey(privatePem);
  const epk = Buffer.from(sealed.epk, 'base64');
  const shared = diffieHellman({ privateKey: priv, publicKey: publicFromRaw(sealed.epk) });
  const key = deriveKey(shared, epk, Buffer.from(publicOfPrivate(privatePem), 'base64'));
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
  decipher.setAAD(aadFor(name));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(sealed.ct, 'base64')), decipher.final()]);
  } catch {
    throw new Error(`the value of ${name} does not decrypt with this ship's key (sealed for another ship, or tampered with)`);
  }
}

// ------------------------------------------------------------- the signed set

/** What an admiral signs: one change to the phleet's secret set, for one ship. */
export interface SecretMessage {
  v: 1;
  op: 'set' | 'unset';
  name: string;
  version: number;      // the set's version after this change
  at: string;           // ISO time of the change
  ship: string;         // shipFingerprint of the ship it is sealed for
  restart: boolean;     // roll every service now (false: at the next start)
  sealed?: Sealed;      // op set only
}

export interface SignedMessage {
  payload: string;      // the JSON of a SecretMessage, exactly as signed
  signature: string;    // ssh-keygen -Y sign output (armored SSH SIGNATURE)
}

export interface StoredEntry {
  op: 'set' | 'unset';  // unset = tombstone
  version: number;
  at: string;
  message: SignedMessage;
}

export interface SecretSet {
  version: number;      // highest version applied
  rollout: number;      // version services roll to (a --no-restart change leaves it)
  entries: Record<string, StoredEntry>;
}

export function emptySet(): SecretSet {
  return { version: 0, rollout: 0, entries: {} };
}

export function parseMessage(payload: string): SecretMessage {
  let m: SecretMessage;
  try {
    m = JSON.parse(payload) as SecretMessage;
  } catch {
    throw new Error('secret message is not JSON');
  }
  if (m?.v !== 1 || (m.op !== 'set' && m.op !== 'unset') || typeof m.name !== 'string'
      || !Number.isInteger(m.version) || m.version < 1 || typeof m.ship !== 'string' || typeof m.at !== 'string') {
    throw new Error('secret message is malformed');
  }
  if (m.op === 'set' && !m.sealed) throw new Error('secret message sets a value but carries none');
  return m;
}

/**
 * Apply a message whose signature is already verified: the new set, or a
 * one-line reason it is refused (replayed or stale, wrong ship, bad name).
 * Pure: the caller saves the result.
 */
export function applyMessage(set: SecretSet, message: SignedMessage, shipFp: string): { set: SecretSet; msg: SecretMessage } {
  const m = parseMessage(message.payload);
  if (m.ship !== shipFp) throw new Error(`secret message is for another ship (${m.ship}), not this one (${shipFp})`);
  const problem = secretProblem(m.name);
  if (problem) throw new Error(problem);
  const seen = set.entries[m.name];
  if (m.version <= set.version) {
    const what = seen && seen.version >= m.version && seen.op === 'unset' && m.op === 'set'
      ? `${m.name} was unset at version ${seen.version}`
      : `the ship's secret set is at version ${set.version}`;
    throw new Error(`refused a replayed or stale secret message: ${m.op} ${m.name} version ${m.version}, but ${what}`);
  }
  const entries = { ...set.entries, [m.name]: { op: m.op, version: m.version, at: m.at, message } };
  return { set: { version: m.version, rollout: m.restart && !isShipSetting(m.name) ? m.version : set.rollout, entries }, msg: m };
}

/** Decrypt every live secret of the set (in memory only). */
export function openSet(set: SecretSet, privatePem: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [name, e] of Object.entries(set.entries)) {
    if (e.op !== 'set') continue;
    const m = parseMessage(e.message.payload);
    out[name] = open(m.sealed as Sealed, name, privatePem);
  }
  return out;
}

/** `export NAME='value'` lines, byte-exact for any value without NUL. */
export function exportLines(values: Record<string, Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const name of Object.keys(values).sort()) {
    if (!NAME_PATTERN.test(name)) continue;
    const v = values[name];
    const quoted: Buffer[] = [];
    let start = 0;
    for (let i = 0; i < v.length; i++) {
      if (v[i] === 0x27) {
        quoted.push(v.subarray(start, i), Buffer.from(`'\\''`));
        start = i + 1;
      }
    }
    quoted.push(v.subarray(start));
    parts.push(Buffer.from(`export ${name}='`), ...quoted, Buffer.from(`'\n`));
  }
  return Buffer.concat(parts);
}
