import type { ElsomAcquirerConfig } from './index.ts';

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

/** ELSOM_MERCHANT_* as read and checked by src/config.ts: a real account when ELSOM_MERCHANT_URL is set. */
export interface ElsomMerchantSettings {
  account: {
    baseUrl: string;
    tenantId: string;
    merchantWallet: string;
    partnerCode: string;
    password: string;
    /** Unset: ELSOM_MERCHANT_STATUS_PATH. */
    statusPath: string | undefined;
    currencies: string[];
    callbackAllow: string[];
  } | undefined;
}

/**
 * Real credentials come from the environment (README: "Configuring real Assist and Elsom merchant credentials").
 * Without them the sandbox's account is used when one is given; without either, the wallet is not offered.
 */
export function elsomMerchantAcquirerConfig(settings: ElsomMerchantSettings, timeoutMs: number, sandbox: ElsomMerchantSandboxSetup | undefined): ElsomAcquirerConfig | undefined {
  if (settings.account) return { ...settings.account, statusPath: settings.account.statusPath ?? ELSOM_MERCHANT_STATUS_PATH, timeoutMs };
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
