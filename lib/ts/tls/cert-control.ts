// The agent's side of own certificates (over the root-only control socket;
// the CLI side is cli/commands/cert.ts):
//   cert-list   → every stored certificate (domain, source, dates; never a key)
//                 and the own-certificate version
//   cert-apply  → a signed add/remove message: verified, checked, stored
import type { ControlRequest, ControlResponse } from '../phleet/transport.js';
import type { SignedMessage } from '../secrets/crypto.js';
import type { CertStore } from './cert-store.js';
import { parseCertMessage } from './own-cert.js';

export const CERT_COMMANDS = new Set(['cert-list', 'cert-apply']);

export interface CertListing {
  version: number;
  certs: Array<{ domain: string; source: 'acme' | 'own'; notBefore: string; notAfter: string; issuedAt: string }>;
}

export interface CertControlDeps {
  store: CertStore;
  shipFingerprint(): string;
  signedByAdmiral(message: SignedMessage): Promise<boolean>;
  /** The tmpfs the live copy goes to. */
  prepare(): Promise<void>;
  /** A certificate came or went: render nginx, let the keeper look again. */
  changed(): Promise<void>;
  log(line: string): void;
}

export function certListing(store: CertStore): CertListing {
  const certs = store.domains().flatMap((d) => {
    const c = store.read(d);
    return c ? [{ domain: d, source: c.source, notBefore: c.notBefore, notAfter: c.notAfter, issuedAt: c.issuedAt }] : [];
  });
  return { version: store.ownVersion(), certs };
}

export async function handleCertRequest(deps: CertControlDeps, req: ControlRequest): Promise<ControlResponse> {
  if (req.cmd === 'cert-list') return { ok: true, ...certListing(deps.store) };
  if (req.cmd !== 'cert-apply') return { ok: false, error: `unknown certificate command '${req.cmd}'` };
  const message = { payload: String(req.payload ?? ''), signature: String(req.signature ?? '') };
  try {
    if (!(await deps.signedByAdmiral(message))) {
      throw new Error('certificate message refused: not signed by an admiral key this ship trusts (HQ authorized_keys/ or enrolled)');
    }
    const m = parseCertMessage(message.payload, deps.shipFingerprint(), deps.store.ownVersion());
    if (m.op === 'add' && m.cert && m.sealed) {
      await deps.prepare();
      const stored = deps.store.saveSealed(m.domain, m.cert, m.sealed, 'own', m.version);
      deps.log(`own certificate for ${m.domain} added (version ${m.version}), valid until ${stored.notAfter}`);
    } else {
      const had = deps.store.read(m.domain)?.source === 'own' && deps.store.remove(m.domain);
      deps.log(`own certificate for ${m.domain} ${had ? 'removed' : 'was not here'} (version ${m.version})`);
    }
    deps.store.setOwnVersion(m.version);
    await deps.changed();
    return { ok: true, version: m.version, op: m.op, domain: m.domain };
  } catch (err) {
    deps.log(`certificate message refused: ${(err as Error).message}`);
    return { ok: false, error: (err as Error).message };
  }
}
