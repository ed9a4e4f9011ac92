import type { AssistFormat, AssistSignatureDigest } from './codec.ts';
import type { AssistAcquirerConfig } from './index.ts';
import { envList, envRequired } from '../env.ts';

/** The simulator's account, handed in by the composition root when the sandbox is mounted (never imported here). */
export interface AssistSandboxSetup {
  baseUrl: () => string;
  merchantId: string;
  login: string;
  password: string;
  publicKeyPem: string;
}

/**
 * Real credentials come from the environment (README: "Configuring real Assist and Elsom merchant credentials").
 * Without them the sandbox's account is used when one is given; without either, cards are not offered.
 */
export function loadAssistConfig(env: NodeJS.ProcessEnv, timeoutMs: number, sandbox: AssistSandboxSetup | undefined): AssistAcquirerConfig | undefined {
  const config: AssistAcquirerConfig | undefined = env.ASSIST_URL
    ? {
        baseUrl: env.ASSIST_URL.replace(/\/+$/, ''),
        merchantId: envRequired(env, 'ASSIST_MERCHANT_ID'),
        login: envRequired(env, 'ASSIST_LOGIN'),
        password: envRequired(env, 'ASSIST_PASSWORD'),
        publicKeyPem: envRequired(env, 'ASSIST_PUBLIC_KEY').replace(/\\n/g, '\n'),
        digest: (env.ASSIST_SIGNATURE_DIGEST ?? 'md5') as AssistSignatureDigest,
        format: (env.ASSIST_FORMAT ?? 'json') as AssistFormat,
        timeoutMs,
        currencies: envList(env, 'ASSIST_CURRENCIES', ['KZT']),
      }
    : sandbox
      ? {
          ...sandbox,
          digest: 'md5',
          format: (env.ASSIST_FORMAT ?? 'json') as AssistFormat,
          timeoutMs,
          currencies: ['KZT', 'KGS'],
        }
      : undefined;
  if (config && !['csv', 'xml', 'soap', 'json'].includes(config.format)) throw new Error(`ASSIST_FORMAT must be csv, xml, soap or json`);
  if (config && !['md5', 'sha1', 'sha256'].includes(config.digest)) throw new Error(`ASSIST_SIGNATURE_DIGEST must be md5, sha1 or sha256`);
  return config;
}
