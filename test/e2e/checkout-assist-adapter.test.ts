/**
 * The Assist adapter against its simulator over HTTP: charge in full and in part in every answer format (JSON, XML,
 * CSV, SOAP), repeated charges, release, order state, "not processed" answers, wrong credentials, tampered signatures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTolem, type Harness } from '../helpers/harness.ts';
import { http, setAssistFaults } from '../helpers/checkout.ts';
import { AssistAcquirer } from '../../src/acquiring/assist/index.ts';
import { ASSIST_SANDBOX_ACCOUNT, assistSandboxKeys } from '../../src/sandbox/assist/keys.ts';
import type { AssistFormat } from '../../src/acquiring/assist/codec/index.ts';
import { generateKeyPairSync } from 'node:crypto';

let h: Harness;
let acquirer: AssistAcquirer;
let orderSeq = 900_000;

beforeAll(async () => {
  h = await startTolem({ jobs: false });
  acquirer = assistWith({});
});
afterAll(async () => h?.close());

function assistWith(overrides: Partial<ConstructorParameters<typeof AssistAcquirer>[0]>): AssistAcquirer {
  return new AssistAcquirer({
    baseUrl: `${h.url}/sandbox/assist`, ...ASSIST_SANDBOX_ACCOUNT, publicKeyPem: assistSandboxKeys().publicKeyPem, digest: 'md5',
    format: 'json', timeoutMs: 5_000, currencies: ['KZT'], ...overrides,
  });
}

/** An order authorised on the simulated payment page; answers its order number and billnumber. */
async function authorised(amountMinor: bigint): Promise<{ orderNumber: string; billnumber: string }> {
  const orderNumber = String(orderSeq++);
  const form = acquirer.authorisationForm({ orderNumber, amountMinor, currency: 'KZT', pageLanguage: 'en', comment: 'test', returnOkUrl: 'http://shop/ok', returnNoUrl: 'http://shop/no' });
  const page = await http(form.action, { form: form.fields.map(([k, v]): [string, string] => [k, v]) });
  const session = /name="session" value="([0-9a-f]+)"/.exec(page.text)![1]!;
  const paid = await http(new URL('card', form.action).toString(), { form: { session, card: '4111111111111111', exp: '12/39', cvv: '123', action: 'pay' } });
  expect(paid.location).toBe('http://shop/ok');
  const state = await acquirer.orderState(orderNumber, amountMinor, 'KZT', new Date(h.tolem.ctx.clock.now().getTime() - 86_400_000));
  expect(state.kind).toBe('authorised');
  return { orderNumber, billnumber: (state as { billnumber: string }).billnumber };
}

describe('Assist adapter over HTTP', () => {
  it.each(['json', 'xml', 'csv', 'soap'] as AssistFormat[])('charges in full in %s, and a repeated charge is the same success', async (format) => {
    const { billnumber } = await authorised(45_000n);
    const first = await acquirer.client.charge(billnumber, undefined, format);
    expect(first.kind).toBe('approved');
    expect(first.kind === 'approved' && first.order.orderstate).toBe('Approved');
    const again = await acquirer.client.charge(billnumber, undefined, format);
    expect(again.kind).toBe('approved');
  });

  it('charges part of a hold (PartialDelayed); more than the hold is a refusal', async () => {
    const { billnumber } = await authorised(100_000n);
    const tooMuch = await acquirer.charge(billnumber, { amountMinor: 100_001n, currency: 'KZT' });
    expect(tooMuch).toMatchObject({ kind: 'declined', code: 'AS120' });
    const partial = await acquirer.charge(billnumber, { amountMinor: 40_000n, currency: 'KZT' });
    expect(partial.kind === 'approved' && partial.order.orderstate).toBe('PartialDelayed');
    expect(partial.kind === 'approved' && partial.order.amountMinor).toBe(40_000n);
  });

  it('releases a hold (cancel), repeatedly; a released hold cannot be charged', async () => {
    const { orderNumber, billnumber } = await authorised(20_000n);
    expect((await acquirer.release(billnumber, 'provider refused')).kind).toBe('approved');
    expect((await acquirer.release(billnumber, 'provider refused')).kind).toBe('approved');
    expect((await acquirer.charge(billnumber)).kind).toBe('declined');
    expect((await acquirer.orderState(orderNumber, 20_000n, 'KZT', h.tolem.ctx.clock.now())).kind).toBe('released');
  });

  it('"not processed", HTTP 500 and garbled answers are retry/unknown, never a refusal', async () => {
    const { billnumber } = await authorised(10_000n);
    for (const [fault, kind] of [['notProcessedRate', 'retry'], ['http500Rate', 'unknown'], ['malformedRate', 'unknown']] as const) {
      await setAssistFaults(h, { [fault]: 1 });
      try {
        expect((await acquirer.charge(billnumber)).kind).toBe(kind);
      } finally {
        await setAssistFaults(h, { [fault]: 0 });
      }
    }
    expect((await acquirer.charge(billnumber)).kind).toBe('approved'); // the retry after the faults succeeds once
  });

  it('wrong credentials are "not processed" (firstcode 7, secondcode 102)', async () => {
    const wrong = assistWith({ password: 'WrongPass123' });
    expect(await wrong.client.charge('545000000000001', undefined, 'xml')).toEqual({ kind: 'retry', reason: 'firstcode 7 secondcode 102' });
  });

  it('answers whose signature does not verify are never trusted', async () => {
    const { orderNumber, billnumber } = await authorised(30_000n);
    await setAssistFaults(h, { badSignatureRate: 1 });
    try {
      expect((await acquirer.orderState(orderNumber, 30_000n, 'KZT', h.tolem.ctx.clock.now())).kind).toBe('pending');
      expect((await acquirer.charge(billnumber)).kind).toBe('unknown');
    } finally {
      await setAssistFaults(h, { badSignatureRate: 0 });
    }
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect((await assistWith({ publicKeyPem: otherKey }).orderState(orderNumber, 30_000n, 'KZT', h.tolem.ctx.clock.now())).kind).toBe('pending');
    // An order state for another amount is not ours to act on.
    expect((await acquirer.orderState(orderNumber, 30_001n, 'KZT', h.tolem.ctx.clock.now())).kind).toBe('pending');
    expect((await acquirer.charge(billnumber)).kind).toBe('approved');
  });
});
