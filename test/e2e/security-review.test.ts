import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { agentApi, eventually, expectLedgerBalanced, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';

/** Code 153: pays above an agent's review threshold are held, funds reserved, until an operator decides. */
let h: Harness;
let api: ReturnType<typeof agentApi>;

beforeAll(async () => {
  h = await startTolem();
  const agent = await newAgent(h.db, { openingBalanceMinor: 1_000_000n, reviewAboveMinor: 100_000n });
  api = agentApi(h.url, agent.token);
});
afterEach(async () => expectLedgerBalanced(h.db));
afterAll(async () => h?.close());

const body = (id: number, amount: string) =>
  `{"serviceId":"P1011","account":"7770017711","agentTransactionId":${id},"agentTransactionDate":"2026-11-22T10:00:00","amountTo":${amount},"amountFrom":${amount}}`;
const balance = async () => JSON.parse((await api('balance')).text).agent.balance as number;

describe('security review (153)', () => {
  it('below the threshold a pay goes straight through', async () => {
    expect(num((await api('pay', body(1, '1000.00'))).body.result)).toBe('0');
  });

  it('above it the pay is held with funds reserved; repeats answer 153, a changed body 202; approval pays it', async () => {
    expect(num((await api('pay', body(2, '1500.00'))).body.result)).toBe('153');
    expect(await balance()).toBe(7500);
    expect(num((await api('pay', body(2, '1500.00'))).body.result)).toBe('153');
    expect(num((await api('pay', body(2, '1400.00'))).body.result)).toBe('202');
    const [held] = await h.tolem.ctx.engine.underReview();
    expect(held?.agentTxnId).toBe(2n);
    const approved = await h.tolem.ctx.engine.decideReview(held!.transactionId, 'approve', 'documents checked');
    expect(approved.state).toBe('accepted');
    await eventually(async () => (num((await api('pay', body(2, '1500.00'))).body.result) === '0' ? true : undefined));
    expect(await balance()).toBe(7500);
  });

  it('a rejection voids the reservation and ends the payment with 300', async () => {
    expect(num((await api('pay', body(3, '2000.00'))).body.result)).toBe('153');
    expect(await balance()).toBe(5500);
    const [held] = await h.tolem.ctx.engine.underReview();
    const rejected = await h.tolem.ctx.engine.decideReview(held!.transactionId, 'reject', 'sanctions list');
    expect(rejected).toMatchObject({ state: 'failed', code: 300 });
    const answer = await api('pay', body(3, '2000.00'));
    expect(num(answer.body.result)).toBe('300');
    expect(answer.body.resultMessage).toBe('Rejected by the security service: sanctions list');
    expect(await balance()).toBe(7500);
    expect(await h.tolem.ctx.engine.underReview()).toEqual([]);
  });
});
