// `starphleet privatize`: the ship's own ssh identity for private git repos.
// The private key lives under ROOT/ssh (folder 0700, key 0600) and every git
// operation of the ship (headquarters and service repos) runs with
// GIT_SSH_COMMAND naming it. The key's text never goes to logs or status:
// only its fingerprint does.
//
// Known hosts: by default a host key is accepted the first time and pinned in
// ROOT/ssh/known_hosts (StrictHostKeyChecking=accept-new); a changed key is
// refused. With STARPHLEET_KNOWN_HOSTS=FILE (or --known-hosts FILE) only the
// hosts listed in FILE are trusted (StrictHostKeyChecking=yes).
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runScript } from '../core/sh.js';
import { shipPaths, type ShipPaths } from '../core/paths.js';

/** Largest key file accepted (an RSA 16384 key is about 12 KB). */
export const MAX_KEY_BYTES = 64 * 1024;

export function sshPaths(root: string): ShipPaths['ssh'] {
  return shipPaths(root).ssh;
}

export interface KeyInfo {
  fingerprint: string;
  type: string;
  comment: string;
}

/** A quick look at a file's text: why it cannot be a private key, or null (pure). */
export function privateKeyProblem(text: string): string | null {
  if (text.trim() === '') return 'is empty';
  if (Buffer.byteLength(text) > MAX_KEY_BYTES) return `is larger than ${MAX_KEY_BYTES} bytes`;
  if (/-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----/.test(text)) {
    if (/Proc-Type: 4,ENCRYPTED/.test(text)) return 'is protected by a passphrase; a ship needs a key without one';
    return null;
  }
  if (/^(ssh-|ecdsa-|sk-)\S+ [A-Za-z0-9+/=]+/m.test(text)) return 'is a public key; privatize needs the private half (the file without .pub)';
  return 'is not an OpenSSH or PEM private key';
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** GIT_SSH_COMMAND for this ship: its key if privatized, and the known_hosts policy (pure). */
export function gitSshCommand(root: string, hasKey: boolean, knownHostsFile?: string): string {
  const p = sshPaths(root);
  const parts = ['ssh', '-o', 'BatchMode=yes'];
  if (hasKey) parts.push('-i', shellQuote(p.key), '-o', 'IdentitiesOnly=yes');
  if (knownHostsFile) parts.push('-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${shellQuote(knownHostsFile)}`);
  else parts.push('-o', 'StrictHostKeyChecking=accept-new', '-o', `UserKnownHostsFile=${shellQuote(p.knownHosts)}`);
  return parts.join(' ');
}

export function isPrivatized(root: string): boolean {
  return existsSync(sshPaths(root).key);
}

/** The environment for the ship's git processes. */
export function gitEnv(root: string, knownHostsFile?: string): NodeJS.ProcessEnv {
  mkdirSync(sshPaths(root).dir, { recursive: true, mode: 0o700 });
  return { ...process.env, GIT_SSH_COMMAND: gitSshCommand(root, isPrivatized(root), knownHostsFile) };
}

function parseFingerprint(line: string): KeyInfo {
  // "256 SHA256:xxx comment words (ED25519)"
  const m = /^\d+ (\S+) ?(.*?) ?\(([^)]+)\)\s*$/.exec(line.trim());
  if (!m) return { fingerprint: line.trim().split(' ')[1] ?? '?', type: '?', comment: '' };
  return { fingerprint: m[1], comment: m[2] === 'no comment' ? '' : m[2], type: m[3] };
}

/** Fingerprint of the stored key, or null when the ship is not privatized. */
export async function privatizedKey(root: string): Promise<KeyInfo | null> {
  const p = sshPaths(root);
  if (!existsSync(p.key) || !existsSync(p.pub)) return null;
  const r = await runScript('ssh-keygen', ['-l', '-f', p.pub]);
  return r.code === 0 ? parseFingerprint(r.stdout) : null;
}

/**
 * Check and store a private key (its text) as the ship's git identity.
 * Written 0600 to a temporary name first, checked with `ssh-keygen -y`
 * (which also refuses a key with a passphrase), then renamed into place.
 */
export async function storePrivateKey(root: string, text: string): Promise<KeyInfo> {
  const problem = privateKeyProblem(text);
  if (problem) throw new Error(`the key ${problem}`);
  const p = sshPaths(root);
  mkdirSync(p.dir, { recursive: true, mode: 0o700 });
  chmodSync(p.dir, 0o700);
  const tmp = join(p.dir, `.privatize_key.${process.pid}.${Date.now()}`);
  try {
    writeFileSync(tmp, text.endsWith('\n') ? text : `${text}\n`, { mode: 0o600, flag: 'wx' });
    const pub = await runScript('ssh-keygen', ['-y', '-P', '', '-f', tmp]);
    if (pub.code !== 0) {
      const why = /passphrase/i.test(pub.stderr)
        ? 'is protected by a passphrase; a ship needs a key without one'
        : 'is not a private key ssh can load';
      throw new Error(`the key ${why}`);
    }
    const pubTmp = `${tmp}.pub`;
    writeFileSync(pubTmp, pub.stdout, { mode: 0o644 });
    const fp = await runScript('ssh-keygen', ['-l', '-f', pubTmp]);
    renameSync(pubTmp, p.pub);
    renameSync(tmp, p.key);
    return parseFingerprint(fp.stdout);
  } finally {
    rmSync(tmp, { force: true });
    rmSync(`${tmp}.pub`, { force: true });
  }
}

/** Add a hint to a failed fetch of an ssh URL (pure). */
export function explainGitError(message: string, key: KeyInfo | null): string {
  if (!/Permission denied \(|Host key verification failed/.test(message)) return message;
  if (/Host key verification failed/.test(message)) {
    return `${message}; the host's key is not trusted (STARPHLEET_KNOWN_HOSTS, or a changed key in ROOT/ssh/known_hosts)`;
  }
  return key
    ? `${message}; the ship's key ${key.fingerprint} is not accepted by that repo`
    : `${message}; the repo needs an ssh key: run 'starphleet privatize PRIVATE_KEY_FILE'`;
}
