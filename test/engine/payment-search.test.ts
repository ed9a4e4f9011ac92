import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAgents, openPaymentCounts, paymentsPerMinute, searchPayments } from '../../src/engine/payment-search.ts';
import { agentApi, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';

/** The operators' payment search against real payments: filters combine, pages are stable, totals are capped. */
let h: Harness;
let first: bigint;
let second: bigint;
// Payments are stamped by the hub's clock (TOLEM_CLOCK in CI), so the periods asked for are read from it too.
let started: Date;
const now = () => h.tolem.ctx.clock.now().getTime();

const body = (id: number, amount: string, account = '7770017711', serviceId = 'P1011') =>
  `{"serviceId":"${serviceId}","account":"${account}","agentTransactionId":${id},"agentTransactionDate":"2026-11-22T10:00:00","amountTo":${amount},"amountFrom":${amount}}`;

beforeAll(async () => {
  h = await startTolem();
  started = h.tolem.ctx.clock.now();
  const a = await newAgent(h.db, { name: 'Search A' });
  const b = await newAgent(h.db, { name: 'Search B' });
  first = a.id;
  second = b.id;
  const payA = agentApi(h.url, a.token);
  const payB = agentApi(h.url, b.token);
  for (let i = 1; i <= 5; i += 1) expect(num((await payA('pay', body(i, `${i}00.00`))).body.result)).toBe('0');
  expect(num((await payB('pay', body(1, '150.00', '7770005555'))).body.result)).toBe('0');
  const checked = await payB('check', body(2, '150.00'));
  expect(checked.text).toContain('"result":0');
});
afterAll(async () => h?.close());

describe('searchPayments', () => {
  it('combines agent, account, state, amounts and ids', async () => {
    const all = await searchPayments(h.db, { agentId: first });
    expect(all.total).toBe(5);
    expect(all.payments.map((p) => p.agentTransactionId)).toEqual([5n, 4n, 3n, 2n, 1n]);
    const some = await searchPayments(h.db, { agentId: first, minAmountMinor: 200_00n, maxAmountMinor: 400_00n, states: ['succeeded'], resultCode: 0 });
    expect(some.payments.map((p) => p.amountToMinor)).toEqual([400_00n, 300_00n, 200_00n]);
    expect((await searchPayments(h.db, { account: '7770005555' })).payments.map((p) => p.agentId)).toEqual([second]);
    expect((await searchPayments(h.db, { agentId: second, states: ['checked'] })).total).toBe(1);
    const one = all.payments[2]!;
    expect((await searchPayments(h.db, { transactionId: one.transactionId })).payments).toHaveLength(1);
    expect((await searchPayments(h.db, { agentId: second, agentTransactionId: 3n })).total).toBe(0);
    expect((await searchPayments(h.db, { serviceId: 'P1011', from: started, to: new Date(now() + 86_400_000) })).total).toBeGreaterThanOrEqual(7);
    expect((await searchPayments(h.db, { from: new Date(now() + 86_400_000) })).total).toBe(0);
  });

  it('pages by keyset, newest first, with a capped total', async () => {
    const page1 = await searchPayments(h.db, { agentId: first }, { limit: 2 }, 3);
    expect(page1.payments).toHaveLength(2);
    expect(page1).toMatchObject({ total: 3, totalCapped: true });
    const page2 = await searchPayments(h.db, { agentId: first }, { limit: 2, after: page1.nextAfter! });
    const page3 = await searchPayments(h.db, { agentId: first }, { limit: 2, after: page2.nextAfter! });
    expect(page3.nextAfter).toBeNull();
    expect([...page1.payments, ...page2.payments, ...page3.payments].map((p) => p.agentTransactionId)).toEqual([5n, 4n, 3n, 2n, 1n]);
  });
});

describe('dashboard figures', () => {
  it('counts pays per minute and the success rate by agent and by service', async () => {
    const byAgent = await paymentsPerMinute(h.db, { by: 'agent', minutes: 30 }, h.tolem.ctx.clock);
    const a = byAgent.groups.find((g) => g.key === String(first))!;
    expect(a).toMatchObject({ total: 5, succeeded: 5, failed: 0, successRate: 1 });
    expect(a.perMinute).toHaveLength(30);
    expect(a.perMinute.reduce((x, y) => x + y, 0)).toBe(5);
    const byService = await paymentsPerMinute(h.db, { by: 'service', minutes: 30 }, h.tolem.ctx.clock);
    expect(byService.groups.find((g) => g.key === 'P1011')?.total).toBeGreaterThanOrEqual(6);
    expect(await openPaymentCounts(h.db)).toEqual({ waiting: 0, review: 0, accepted: 0 });
  });

  it('lists agents with their balances, the checkout agent marked internal', async () => {
    const agents = await listAgents(h.db);
    const a = agents.find((x) => x.id === first)!;
    expect(a.availableMinor).toBe(10_000_000n - 1_500_00n);
    expect(agents.some((x) => x.internal)).toBe(true);
    expect(agents.find((x) => x.id === second)?.internal).toBe(false);
  });
});
