import type { CheckoutTiming } from '../engine/checkout.ts';
import { envInt } from '../config.ts';

/** The checkout's own settings; the acquirers' credentials are read by their folders (acquiring/<acquirer>/config.ts). */
export interface CheckoutConfig {
  timing: CheckoutTiming;
  /** Every call to an acquirer is abandoned after this long (its outcome is then unknown). */
  acquirerTimeoutMs: number;
}

export function loadCheckoutConfig(env: NodeJS.ProcessEnv, sandbox: boolean): CheckoutConfig {
  return {
    acquirerTimeoutMs: envInt(env, 'CHECKOUT_ACQUIRER_TIMEOUT_MS', 15_000, 1),
    timing: {
      pollMs: envInt(env, 'CHECKOUT_POLL_MS', sandbox ? 1_000 : 5_000, 10),
      pollMaxMs: envInt(env, 'CHECKOUT_POLL_MAX_MS', 60_000, 10),
      orderTtlMs: envInt(env, 'CHECKOUT_ORDER_TTL_MS', 2 * 60 * 60_000, 1_000),
      chargeWindowMs: 4 * 24 * 60 * 60_000,
      chargeWarnBeforeMs: envInt(env, 'CHECKOUT_CHARGE_WARN_MS', 12 * 60 * 60_000, 0),
    },
  };
}
