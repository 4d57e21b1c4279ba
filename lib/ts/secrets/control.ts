// The agent's side of the secrets control requests (over the root-only
// control socket; the CLI side is cmd-secrets.ts):
//   secrets-key     → the ship's X25519 public key and its fingerprint
//   secrets-enroll  → trust an admiral's OpenSSH public key
//   secrets-list    → names, versions and times (never values)
//   secrets-apply   → a signed set/unset message: verified, checked, stored
import type { ShipSecrets } from './store.js';
import type { ControlRequest, ControlResponse } from '../phleet/transport.js';

export const SECRET_COMMANDS = new Set(['secrets-key', 'secrets-enroll', 'secrets-list', 'secrets-apply']);

export interface SecretHooks {
  log: (message: string) => void;
  rollout: () => void;   // services should roll to the new set now
}

export async function handleSecretsRequest(secrets: ShipSecrets, req: ControlRequest, hooks: SecretHooks): Promise<ControlResponse> {
  switch (req.cmd) {
    case 'secrets-key':
      return { ok: true, publicKey: secrets.publicKey(), fingerprint: secrets.fingerprint() };
    case 'secrets-enroll': {
      const r = await secrets.enroll(String(req.publicKey ?? ''));
      if (r.added) hooks.log(`admiral key enrolled: ${r.fingerprint}`);
      return { ok: true, ...r };
    }
    case 'secrets-list':
      return { ok: true, ...secrets.list() };
    case 'secrets-apply': {
      let msg;
      try {
        msg = await secrets.receive({ payload: String(req.payload ?? ''), signature: String(req.signature ?? '') });
      } catch (err) {
        hooks.log(`secret message refused: ${(err as Error).message}`);
        return { ok: false, error: (err as Error).message };
      }
      hooks.log(`secret ${msg.name} ${msg.op === 'set' ? 'set' : 'unset'} (version ${msg.version})${msg.restart ? '; rolling every service' : '; services pick it up at their next start'}`);
      if (msg.restart) hooks.rollout();
      return { ok: true, version: msg.version, op: msg.op, name: msg.name, restart: msg.restart };
    }
    default:
      return { ok: false, error: `unknown secrets command '${req.cmd}'` };
  }
}
