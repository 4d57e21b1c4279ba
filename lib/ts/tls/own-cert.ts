// Pure: own certificates (`starphleet cert add|remove`). What an admiral
// signs for one ship, the checks a certificate and key pass before they
// leave the admiral's machine, and the checks a ship makes before it stores
// one. A change carries the version of the ship's own-certificate list after
// it, so a replayed or stale message is refused (like the secret set).
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { Sealed } from '../secrets/crypto.js';

export const DOMAIN_PATTERN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;
const MAX_PEM_BYTES = 64 * 1024;

export interface CertMessage {
  v: 1;
  kind: 'cert';
  op: 'add' | 'remove';
  domain: string;
  version: number;   // the ship's own-certificate version after this change
  at: string;
  ship: string;      // shipFingerprint of the ship it is sealed for
  cert?: string;     // op add: PEM, leaf first
  sealed?: Sealed;   // op add: the private key, sealed to the ship key
}

/** The name a certificate key is sealed under (the AAD). */
export const certKeyName = (domain: string): string => `tls-key:${domain}`;

/** Why DOMAIN is not a name a certificate can be kept for, or null. */
export function domainProblem(domain: string): string | null {
  return DOMAIN_PATTERN.test(domain) ? null : `'${domain}' is not a host name (lower case, dot-separated, like shop.example.com)`;
}

/**
 * Why this certificate and key cannot serve DOMAIN, or null: the PEM must
 * parse, its first certificate must cover DOMAIN, match the key, and not be
 * expired.
 */
export function ownCertProblem(domain: string, certPem: string, keyPem: string, now: number): string | null {
  if (Buffer.byteLength(certPem) > MAX_PEM_BYTES || Buffer.byteLength(keyPem) > MAX_PEM_BYTES) return 'the certificate or key is larger than 64 KiB';
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (err) {
    return `the certificate is not PEM (${(err as Error).message})`;
  }
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    return `the key is not a PEM private key without a passphrase (${(err as Error).message})`;
  }
  if (!cert.checkPrivateKey(key)) return 'the key does not belong to the certificate';
  if (cert.checkHost(domain) === undefined) return `the certificate does not cover ${domain} (it names ${cert.subjectAltName ?? cert.subject})`;
  if (Date.parse(cert.validTo) <= now) return `the certificate expired on ${new Date(cert.validTo).toISOString()}`;
  return null;
}

/** A message's payload, checked for this ship at its current version; throws a one-line reason. */
export function parseCertMessage(payload: string, shipFp: string, shipVersion: number): CertMessage {
  let m: CertMessage;
  try {
    m = JSON.parse(payload) as CertMessage;
  } catch {
    throw new Error('certificate message is not JSON');
  }
  if (m?.v !== 1 || m.kind !== 'cert' || (m.op !== 'add' && m.op !== 'remove') || typeof m.domain !== 'string'
      || !Number.isInteger(m.version) || m.version < 1 || typeof m.ship !== 'string' || typeof m.at !== 'string') {
    throw new Error('certificate message is malformed');
  }
  const bad = domainProblem(m.domain);
  if (bad) throw new Error(`certificate message: ${bad}`);
  if (m.ship !== shipFp) throw new Error(`certificate message is for another ship (${m.ship}), not this one (${shipFp})`);
  if (m.version <= shipVersion) {
    throw new Error(`refused a replayed or stale certificate message: ${m.op} ${m.domain} version ${m.version}, but the ship's own certificates are at version ${shipVersion}`);
  }
  if (m.op === 'add' && (typeof m.cert !== 'string' || !m.sealed)) throw new Error('certificate message adds a certificate but carries none');
  return m;
}
