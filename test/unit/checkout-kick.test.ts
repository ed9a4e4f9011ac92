import { describe, expect, it } from 'vitest';
import { Checkout, type CheckoutDeps } from '../../src/engine/checkout.ts';

/**
 * Found by the chaos campaign at a database failover: a checkout step that failed on the store (read-only for a moment)
 * tried to reschedule itself on the same store, that failed too, and the kick nobody awaited (a callback's) rejected
 * unhandled — which ends a Node process. Now the failed reschedule is logged and the minute's recovery pass moves the
 * order on (src/app.ts, checkout-recovery).
 */
describe('a checkout kick while the store fails', () => {
  it('neither rejects nor leaves an unhandled rejection when the reschedule fails too', async () => {
    const readOnly = () => Promise.reject(new Error('cannot execute INSERT in a read-only transaction'));
    const warnings: string[] = [];
    const log = { error: () => undefined, warn: (_fields: unknown, message: string) => warnings.push(message), info: () => undefined };
    const checkout = new Checkout({ db: { query: readOnly, tx: readOnly }, log, timing: { pollMs: 1_000 } } as unknown as CheckoutDeps);
    checkout.useQueue(readOnly);
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', listener);
    try {
      await checkout.kick(42n, false);
      await checkout.kick(43n, true);
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      process.off('unhandledRejection', listener);
    }
    expect(unhandled).toEqual([]);
    expect(warnings).toEqual(['checkout step not rescheduled; the recovery pass takes it up', 'checkout step not rescheduled; the recovery pass takes it up']);
  });
});
