/**
 * The whole hub, simulators included, half a minute before and after midnight of a new year in Almaty, while UTC is
 * still on 31 December: dates in answers, the Alseco payment's day, and the reconciliation of each day.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentApi, clockAt, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';
import { alsecoAdmin, alsecoBody, nextTxnId } from '../helpers/alseco.ts';
import { CARDS, chooseCard, followReturn, http, orderByToken, payOnAssist, startOrder } from '../helpers/checkout.ts';
import { eventually } from '../helpers/harness.ts';
import { AlsecoProviderAdapter } from '../../src/providers/alseco/index.ts';
import { loadConfig } from '../../src/config.ts';
import { reconcileProviderDay } from '../../src/engine/reconcile.ts';

let h: Harness;
let api: ReturnType<typeof agentApi>;
let adapter: AlsecoProviderAdapter;
const clock = clockAt('2026-12-31T18:59:00Z');

beforeAll(async () => {
  h = await startTolem({ clock });
  api = agentApi(h.url, (await newAgent(h.db)).token);
  adapter = new AlsecoProviderAdapter(loadConfig({}).alseco, () => `${h.url}/sandbox`, clock);
});
afterAll(async () => h?.close());

async function payAlseco(amountMinor: bigint): Promise<{ transactionId: string; transactionDate: string }> {
  const answer = await api('pay', alsecoBody({ account: '0000100110', id: nextTxnId(), lines: [{ subServiceId: '45', amountMinor }] }));
  expect(num(answer.body.result)).toBe('0');
  return { transactionId: num(answer.body.transactionId), transactionDate: String(answer.body.transactionDate) };
}

describe('midnight of a new year in Almaty', () => {
  it('dates each payment on its own side of midnight, and reconciles each day with its own payments', async () => {
    clock.set(new Date('2026-12-31T18:59:30Z')); // 23:59:30 on 31 December in Almaty
    const before = await payAlseco(10_000n);
    expect(before.transactionDate.slice(0, 10)).toBe('2026-12-31');
    clock.set(new Date('2026-12-31T19:00:30Z')); // 00:00:30 on 1 January in Almaty, still 31 December in UTC
    const after = await payAlseco(20_000n);
    expect(after.transactionDate.slice(0, 13)).toBe('2027-01-01T00');

    const atAlseco = (await alsecoAdmin(h.url).payments()).payments;
    expect(atAlseco.find((p) => p.sysRef === before.transactionId)!.receivedAt.slice(0, 10)).toBe('2026-12-31');

    const newYear = await reconcileProviderDay(h.db, adapter, '2027-01-01', { clock, confirm: false, settlement: false });
    expect(newYear.status).toBe('clean');
    expect(newYear.items.map((item) => item.reference)).toEqual([after.transactionId]);
    const oldYear = await reconcileProviderDay(h.db, adapter, '2026-12-31', { clock, confirm: false, settlement: false });
    expect(oldYear.status).toBe('clean');
    expect(oldYear.items.map((item) => item.reference)).toEqual([before.transactionId]);
  });

  it('the period Alseco shows on 1 January is still December, and the invoice paid is December’s', async () => {
    const invoices = await api('check', alsecoBody({ account: '0000100110', id: nextTxnId() }));
    expect(num(invoices.body.result)).toBe('0');
    expect(JSON.stringify(invoices.body)).toContain('2612');
  });

  it('a card payment made at 00:00 on 1 January in Almaty has that date on its receipt', async () => {
    clock.set(new Date('2026-12-31T19:00:10Z'));
    const token = await startOrder(h, 'P1011', { account: '7012345678' });
    const result = await followReturn(h, await payOnAssist(await chooseCard(h, token, { amount: '150.00' }), CARDS.approve));
    await eventually(async () => ((await orderByToken(h, token)).state === 'succeeded' ? true : undefined), 20_000);
    const page = await http(result);
    expect(page.text).toMatch(/data-field="date">2027-01-01 00:0\d \(UTC\+05:00\)</);
  });
});
