import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTolem, type Harness } from '../helpers/harness.ts';

/** The simulated providers check their own rules too, and keep their payments by our reference. */
let h: Harness;
beforeAll(async () => {
  h = await startTolem({ jobs: false });
});
afterAll(async () => h?.close());

const call = async (path: string, body: unknown) => {
  const response = await fetch(`${h.url}/sandbox/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('sandbox providers', () => {
  it('the mobile operator refuses a malformed number and amounts outside its limits', async () => {
    expect((await call('mobile/check', { account: '12345', currency: 'KZT' })).body).toMatchObject({ status: 'error', code: 'BAD_ACCOUNT' });
    expect((await call('mobile/pay', { account: '7770017711', currency: 'KZT', amount: '5.00', reference: '1' })).body).toMatchObject({ status: 'error', code: 'AMOUNT_TOO_SMALL' });
    expect((await call('mobile/pay', { account: '7770017711', currency: 'KZT', amount: '200000.01', reference: '2' })).body).toMatchObject({ status: 'error', code: 'AMOUNT_TOO_LARGE' });
    expect((await call('mobile-kg/check', { account: '7770017711', currency: 'KGS' })).body).toMatchObject({ status: 'error', code: 'BAD_ACCOUNT' });
  });

  it('a repeated pay with the same reference is the same payment; status and cancel answer from it', async () => {
    const first = await call('mobile/pay', { account: '7770017711', currency: 'KZT', amount: '100.00', reference: '42' });
    const again = await call('mobile/pay', { account: '7770017711', currency: 'KZT', amount: '100.00', reference: '42' });
    expect(first.body).toMatchObject({ status: 'paid', reference: '42' });
    expect(again.body).toEqual(first.body);
    expect((await call('mobile/status', { reference: '42' })).body).toEqual(first.body);
    expect((await call('mobile/status', { reference: '43' })).body).toEqual({ status: 'not_found', reference: '43' });
    expect((await call('mobile/cancel', { reference: '42' })).body).toEqual({ status: 'cancelled', reference: '42' });
    expect(h.tolem.ctx.sandbox!.simulators.get('mobile')!.committed().filter((p) => p.reference === '42')).toHaveLength(1);
  });

  it('faults are set and read over HTTP, and a bad body is a 400 in the sandbox protocol', async () => {
    const put = await fetch(`${h.url}/sandbox/bank/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyMs: 5 }) });
    expect(((await put.json()) as { latencyMs: number }).latencyMs).toBe(5);
    const bad = await call('bank/pay', { account: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ status: 'error', code: 'BAD_REQUEST' });
  });
});
