import type { CheckoutTiming } from '../engine/checkout.ts';

/** The checkout's settings as read from the environment (CHECKOUT_*) by src/config.ts. */
export interface CheckoutSettings {
  /** Every call to an acquirer is abandoned after this long (its outcome is then unknown). */
  acquirerTimeoutMs: number;
  /** CHECKOUT_POLL_MS; unset: 1 s with the sandbox mounted, 5 s without. */
  pollMs: number | undefined;
  pollMaxMs: number;
  orderTtlMs: number;
  chargeWarnBeforeMs: number;
}

/** The checkout's own settings; the acquirers' credentials come from their sections (acquiring/<acquirer>/config.ts). */
export interface CheckoutConfig {
  timing: CheckoutTiming;
  /** Every call to an acquirer is abandoned after this long (its outcome is then unknown). */
  acquirerTimeoutMs: number;
}

export function checkoutConfig(settings: CheckoutSettings, sandbox: boolean): CheckoutConfig {
  return {
    acquirerTimeoutMs: settings.acquirerTimeoutMs,
    timing: {
      pollMs: settings.pollMs ?? (sandbox ? 1_000 : 5_000),
      pollMaxMs: settings.pollMaxMs,
      orderTtlMs: settings.orderTtlMs,
      chargeWindowMs: 4 * 24 * 60 * 60_000,
      chargeWarnBeforeMs: settings.chargeWarnBeforeMs,
    },
  };
}
