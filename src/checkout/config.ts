import type { AssistAcquirerConfig } from '../acquiring/assist/index.ts';
import type { ElsomAcquirerConfig } from '../acquiring/elsom-merchant/index.ts';
import type { AssistFormat, AssistSignatureDigest } from '../acquiring/assist/codec.ts';
import { ASSIST_SANDBOX_ACCOUNT, assistSandboxKeys } from '../sandbox/assist/keys.ts';
import { ELSOM_MERCHANT_SANDBOX_ACCOUNT, ELSOM_STATUS_PATH } from '../sandbox/elsom-merchant/account.ts';
import { envInt } from '../config.ts';

/** Timings of the checkout's durable steps. */
export interface CheckoutTiming {
  /** First delay of a status poll (Elsom status, Assist order state after a missing return); doubles up to pollMaxMs. */
  pollMs: number;
  pollMaxMs: number;
  /** A payment the acquirer has not confirmed after this long is given up ("expired"). */
  orderTtlMs: number;
  /** Assist: a hold must be charged within 4 days ("Подтверждение оплаты"); operators are warned this much earlier. */
  chargeWindowMs: number;
  chargeWarnBeforeMs: number;
}

export interface CheckoutConfig {
  assist: AssistAcquirerConfig | undefined;
  elsom: ElsomAcquirerConfig | undefined;
  timing: CheckoutTiming;
}

const list = (text: string | undefined, fallback: string[]) => (text ? text.split(',').map((s) => s.trim()).filter(Boolean) : fallback);

/**
 * Real credentials come from the environment (README: "Configuring real Assist and Elsom merchant credentials").
 * Without them, and with the sandbox mounted, both acquirers point at this server's simulators; without them and
 * without the sandbox, that payment method is simply not offered.
 */
export function loadCheckoutConfig(env: NodeJS.ProcessEnv, sandbox: boolean, selfBase: () => string): CheckoutConfig {
  const timeoutMs = envInt(env, 'CHECKOUT_ACQUIRER_TIMEOUT_MS', 15_000, 1);
  const assistReal = Boolean(env.ASSIST_URL);
  const assist: AssistAcquirerConfig | undefined = assistReal
    ? {
        baseUrl: env.ASSIST_URL!.replace(/\/+$/, ''),
        merchantId: required(env, 'ASSIST_MERCHANT_ID'),
        login: required(env, 'ASSIST_LOGIN'),
        password: required(env, 'ASSIST_PASSWORD'),
        publicKeyPem: required(env, 'ASSIST_PUBLIC_KEY').replace(/\\n/g, '\n'),
        digest: (env.ASSIST_SIGNATURE_DIGEST ?? 'md5') as AssistSignatureDigest,
        format: (env.ASSIST_FORMAT ?? 'json') as AssistFormat,
        timeoutMs,
        currencies: list(env.ASSIST_CURRENCIES, ['KZT']),
      }
    : sandbox
      ? {
          baseUrl: () => `${selfBase()}/sandbox/assist`,
          ...ASSIST_SANDBOX_ACCOUNT,
          publicKeyPem: assistSandboxKeys().publicKeyPem,
          digest: 'md5',
          format: (env.ASSIST_FORMAT ?? 'json') as AssistFormat,
          timeoutMs,
          currencies: ['KZT', 'KGS'],
        }
      : undefined;
  const elsomReal = Boolean(env.ELSOM_MERCHANT_URL);
  const elsom: ElsomAcquirerConfig | undefined = elsomReal
    ? {
        baseUrl: env.ELSOM_MERCHANT_URL!.replace(/\/+$/, ''),
        tenantId: required(env, 'ELSOM_MERCHANT_TENANT_ID'),
        merchantWallet: required(env, 'ELSOM_MERCHANT_WALLET'),
        partnerCode: required(env, 'ELSOM_MERCHANT_PARTNER_CODE'),
        password: required(env, 'ELSOM_MERCHANT_PASSWORD'),
        statusPath: env.ELSOM_MERCHANT_STATUS_PATH ?? ELSOM_STATUS_PATH,
        timeoutMs,
        currencies: list(env.ELSOM_MERCHANT_CURRENCIES, ['KGS']),
        callbackAllow: list(env.ELSOM_MERCHANT_CALLBACK_IPS, []),
      }
    : sandbox
      ? {
          baseUrl: () => `${selfBase()}/sandbox/elsom-merchant`,
          ...ELSOM_MERCHANT_SANDBOX_ACCOUNT,
          statusPath: ELSOM_STATUS_PATH,
          timeoutMs,
          // The simulated wallet takes any currency so that every sandbox service can be tried; Elsom itself is KGS.
          currencies: ['KZT', 'KGS'],
          callbackAllow: ['127.0.0.1', '::1'],
        }
      : undefined;
  if (assist && !['csv', 'xml', 'soap', 'json'].includes(assist.format)) throw new Error(`ASSIST_FORMAT must be csv, xml, soap or json`);
  if (assist && !['md5', 'sha1', 'sha256'].includes(assist.digest)) throw new Error(`ASSIST_SIGNATURE_DIGEST must be md5, sha1 or sha256`);
  return {
    assist,
    elsom,
    timing: {
      pollMs: envInt(env, 'CHECKOUT_POLL_MS', sandbox ? 1_000 : 5_000, 10),
      pollMaxMs: envInt(env, 'CHECKOUT_POLL_MAX_MS', 60_000, 10),
      orderTtlMs: envInt(env, 'CHECKOUT_ORDER_TTL_MS', 2 * 60 * 60_000, 1_000),
      chargeWindowMs: 4 * 24 * 60 * 60_000,
      chargeWarnBeforeMs: envInt(env, 'CHECKOUT_CHARGE_WARN_MS', 12 * 60 * 60_000, 0),
    },
  };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is required when the acquirer is configured`);
  return value;
}
