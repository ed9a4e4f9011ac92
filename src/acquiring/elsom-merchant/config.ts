import type { ElsomAcquirerConfig } from './index.ts';
import { envList, envRequired } from '../env.ts';

/**
 * Where PartnerGetPaymentStatus is sent. The document gives the body of the status request but not its URL: this is
 * our guess beside generateOTP (ELSOM_MERCHANT_STATUS_PATH overrides it) and must be confirmed with Elsom. The
 * simulator answers at the same path.
 */
export const ELSOM_MERCHANT_STATUS_PATH = '/service/v1/merchant/getPaymentStatus/{tenant-id}';

/** The simulator's account, handed in by the composition root when the sandbox is mounted (never imported here). */
export interface ElsomMerchantSandboxSetup {
  baseUrl: () => string;
  tenantId: string;
  merchantWallet: string;
  partnerCode: string;
  password: string;
}

/**
 * Real credentials come from the environment (README: "Configuring real Assist and Elsom merchant credentials").
 * Without them the sandbox's account is used when one is given; without either, the wallet is not offered.
 */
export function loadElsomMerchantConfig(env: NodeJS.ProcessEnv, timeoutMs: number, sandbox: ElsomMerchantSandboxSetup | undefined): ElsomAcquirerConfig | undefined {
  if (env.ELSOM_MERCHANT_URL) {
    return {
      baseUrl: env.ELSOM_MERCHANT_URL.replace(/\/+$/, ''),
      tenantId: envRequired(env, 'ELSOM_MERCHANT_TENANT_ID'),
      merchantWallet: envRequired(env, 'ELSOM_MERCHANT_WALLET'),
      partnerCode: envRequired(env, 'ELSOM_MERCHANT_PARTNER_CODE'),
      password: envRequired(env, 'ELSOM_MERCHANT_PASSWORD'),
      statusPath: env.ELSOM_MERCHANT_STATUS_PATH ?? ELSOM_MERCHANT_STATUS_PATH,
      timeoutMs,
      currencies: envList(env, 'ELSOM_MERCHANT_CURRENCIES', ['KGS']),
      callbackAllow: envList(env, 'ELSOM_MERCHANT_CALLBACK_IPS', []),
    };
  }
  if (!sandbox) return undefined;
  return {
    ...sandbox,
    statusPath: ELSOM_MERCHANT_STATUS_PATH,
    timeoutMs,
    // The simulated wallet takes any currency so that every sandbox service can be tried; Elsom itself is KGS.
    currencies: ['KZT', 'KGS'],
    callbackAllow: ['127.0.0.1', '::1'],
  };
}
