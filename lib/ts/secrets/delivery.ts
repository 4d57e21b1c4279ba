// How the CLI reaches each ship of a phleet for secrets. One small interface
// over any ShipTransport (a local ship's control socket, or ssh), so the
// crypto never depends on how a ship is reached.
import type { SecretListing } from './store.js';
import type { SignedMessage } from './crypto.js';
import type { ShipTransport } from '../phleet/transport.js';

export interface SecretDelivery {
  readonly describe: string;
  shipKey(): Promise<{ publicKey: string; fingerprint: string }>;
  list(): Promise<SecretListing>;
  apply(message: SignedMessage): Promise<{ version: number }>;
  enroll(publicKey: string): Promise<{ added: boolean; fingerprint: string }>;
}

/** Secrets over a ship's control channel (any ShipTransport). */
export class TransportDelivery implements SecretDelivery {
  constructor(private readonly transport: ShipTransport, readonly describe: string) {}

  private async call<T>(req: Record<string, unknown> & { cmd: string }): Promise<T> {
    const res = await this.transport.request(req, 30_000);
    if (!res.ok) throw new Error(`${this.describe}: ${res.error ?? `${req.cmd} failed`}`);
    return res as unknown as T;
  }

  shipKey(): Promise<{ publicKey: string; fingerprint: string }> {
    return this.call({ cmd: 'secrets-key' });
  }

  list(): Promise<SecretListing> {
    return this.call({ cmd: 'secrets-list' });
  }

  apply(message: SignedMessage): Promise<{ version: number }> {
    return this.call({ cmd: 'secrets-apply', payload: message.payload, signature: message.signature });
  }

  enroll(publicKey: string): Promise<{ added: boolean; fingerprint: string }> {
    return this.call({ cmd: 'secrets-enroll', publicKey });
  }
}
