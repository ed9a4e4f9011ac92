import { generateKeyPairSync } from 'node:crypto';

/** The simulated Assist merchant account: the checkout's sandbox configuration uses exactly these. */
export const ASSIST_SANDBOX_ACCOUNT = { merchantId: '700001', login: 'tolem_sandbox', password: 'Sandbox2024' } as const;

let keys: { publicKeyPem: string; privateKeyPem: string } | undefined;

/**
 * The simulator's signing key pair, generated once per process at first use (never stored): the simulator signs its
 * answers with the private key, and the checkout, when it runs against the sandbox, is configured with the public key.
 */
export function assistSandboxKeys(): { publicKeyPem: string; privateKeyPem: string } {
  if (!keys) {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    keys = {
      publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      privateKeyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    };
  }
  return keys;
}
