import type { AssistFormat, AssistSignatureDigest } from './codec/index.ts';
import type { AssistAcquirerConfig } from './index.ts';

/** The simulator's account, handed in by the composition root when the sandbox is mounted (never imported here). */
export interface AssistSandboxSetup {
  baseUrl: () => string;
  merchantId: string;
  login: string;
  password: string;
  publicKeyPem: string;
}

/** ASSIST_* as read and checked by src/config.ts: a real account when ASSIST_URL is set (then all of it is required). */
export interface AssistSettings {
  format: AssistFormat;
  account: {
    baseUrl: string;
    merchantId: string;
    login: string;
    password: string;
    publicKeyPem: string;
    digest: AssistSignatureDigest;
    currencies: string[];
  } | undefined;
}

/**
 * Real credentials come from the environment (README: "Configuring real Assist and Elsom merchant credentials").
 * Without them the sandbox's account is used when one is given; without either, cards are not offered.
 */
export function assistAcquirerConfig(settings: AssistSettings, timeoutMs: number, sandbox: AssistSandboxSetup | undefined): AssistAcquirerConfig | undefined {
  if (settings.account) return { ...settings.account, format: settings.format, timeoutMs };
  if (!sandbox) return undefined;
  return { ...sandbox, digest: 'md5', format: settings.format, timeoutMs, currencies: ['KZT', 'KGS'] };
}
