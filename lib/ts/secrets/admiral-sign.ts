// Admiral keys are ordinary OpenSSH keys; signing and verifying is OpenSSH's
// own `ssh-keygen -Y sign` / `-Y verify` (namespace starphleet-secrets), with
// an allowed_signers file built from the keys a ship trusts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runScript } from '../core/sh.js';

export const NAMESPACE = 'starphleet-secrets';
const PRINCIPAL = 'admiral';
const ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' };

/** Sign payload with a private key file; returns the armored signature. */
export async function signPayload(keyFile: string, payload: string): Promise<string> {
  const r = await runScript('ssh-keygen', ['-q', '-Y', 'sign', '-f', keyFile, '-n', NAMESPACE], { input: payload, env: ENV, timeoutSeconds: 30 });
  if (r.code !== 0 || !r.stdout.includes('BEGIN SSH SIGNATURE')) {
    const why = r.stderr.trim().split('\n').filter(Boolean).pop() ?? `exit ${r.code}`;
    throw new Error(`cannot sign with ${keyFile}: ${why}`);
  }
  return r.stdout;
}

/** The OpenSSH public key lines ("type base64 [comment]") in text. */
export function publicKeyLines(text: string): string[] {
  return text.split('\n')
    .map((l) => l.trim())
    .filter((l) => /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/=]+( .*)?$/.test(l));
}

/** `type base64` of a key line: the part that identifies the key. */
export function keyId(line: string): string {
  return line.trim().split(/\s+/).slice(0, 2).join(' ');
}

/** The fingerprint ssh-keygen prints for a public key line, or throws when it is not a key. */
export async function fingerprint(publicKeyLine: string): Promise<string> {
  const r = await runScript('ssh-keygen', ['-l', '-f', '-'], { input: `${publicKeyLine}\n`, env: ENV, timeoutSeconds: 30 });
  if (r.code !== 0) throw new Error('not an OpenSSH public key');
  return r.stdout.trim();
}

/**
 * Whether signature is a valid starphleet-secrets signature over payload by
 * one of the trusted keys. scratch is a private directory for the two files
 * ssh-keygen needs (public keys and the signature only).
 */
export async function verifyPayload(trusted: string[], payload: string, signature: string, scratch: string): Promise<boolean> {
  if (trusted.length === 0 || !signature.includes('BEGIN SSH SIGNATURE')) return false;
  const dir = mkdtempSync(join(scratch, 'verify-'));
  try {
    const allowed = join(dir, 'allowed_signers');
    const sig = join(dir, 'payload.sig');
    writeFileSync(allowed, trusted.map((k) => `${PRINCIPAL} namespaces="${NAMESPACE}" ${keyId(k)}\n`).join(''), { mode: 0o600 });
    writeFileSync(sig, signature, { mode: 0o600 });
    const r = await runScript('ssh-keygen', ['-Y', 'verify', '-f', allowed, '-I', PRINCIPAL, '-n', NAMESPACE, '-s', sig], { input: payload, env: ENV, timeoutSeconds: 30 });
    return r.code === 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
