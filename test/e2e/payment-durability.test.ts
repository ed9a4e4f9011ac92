import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { agentApi, eventually, expectLedgerBalanced, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';
import { listAttention } from '../../src/engine/attention.ts';
import { findAgent, topUp } from '../../src/engine/agents.ts';

/**
 * Never lose, never double: concurrent duplicates, unknown provider outcomes, slow providers, insufficient funds —
 * every payment ends final, the provider is paid at most once, and the ledger balances.
 */
let h: Harness;
let api: ReturnType<typeof agentApi>;
let agentId: bigint;
let nextId = 500_000_000_000_000_000n;
const txn = () => (nextId += 1n).toString();

beforeAll(async () => {
  h = await startTolem({ engine: { providerDeadlineMs: 1_000, providerTimeoutMs: 1_000, retryBaseMs: 200, retryMaxMs: 800, attentionAfterMs: 1_500, fundsWaitMs: 2_000 } });
  const agent = await newAgent(h.db, { openingBalanceMinor: 100_000_000n });
  agentId = agent.id;
  api = agentApi(h.url, agent.token);
});
afterEach(async () => {
  await h.tolem.ctx.sandbox!.simulators.get('mobile')!.setFaults({ latencyMs: 0, http500Rate: 0, http500AfterCommitRate: 0, malformedRate: 0, hangAfterCommitRate: 0, hangMs: 15_000, processingMs: 2_000 });
  await expectLedgerBalanced(h.db);
});
afterAll(async () => h?.close());

function payBody(id: string, account = '7770017711', amount = '200.00'): string {
  return `{"serviceId":"P1011","account":"${account}","agentTransactionId":${id},"agentTransactionDate":"2026-11-22T10:00:00","amountTo":${amount},"amountFrom":${amount}}`;
}

async function state(id: string): Promise<{ state: string; code: number; reservation_id: bigint | null }> {
  const row = await h.db.query<{ state: string; result_code: number; reservation_id: bigint | null }>(
    'SELECT state, result_code, reservation_id FROM payments WHERE agent_id = $1 AND agent_txn_id = $2', [agentId, id]);
  return { state: row.rows[0]!.state, code: row.rows[0]!.result_code, reservation_id: row.rows[0]!.reservation_id };
}

function providerPayments(reference: string) {
  return h.tolem.ctx.sandbox!.simulators.get('mobile')!.committed().filter((p) => p.reference === reference);
}

async function transactionIdOf(id: string): Promise<string> {
  const row = await h.db.query<{ id: bigint }>('SELECT id FROM payments WHERE agent_id = $1 AND agent_txn_id = $2', [agentId, id]);
  return row.rows[0]!.id.toString();
}

describe('unknown outcomes', () => {
  it('the provider commits, then times out: the pay answers 1, the job asks the provider and settles once', async () => {
    h.tolem.ctx.sandbox!.simulators.get('mobile')!.setFaults({ hangAfterCommitRate: 1, hangMs: 1_500 });
    const id = txn();
    const first = await api('pay', payBody(id));
    expect(num(first.body.result)).toBe('1');
    expect(first.body.statusDate).toBeUndefined();
    h.tolem.ctx.sandbox!.simulators.get('mobile')!.setFaults({ hangAfterCommitRate: 0 });
    await eventually(async () => ((await state(id)).state === 'succeeded' ? true : undefined));
    expect(providerPayments(await transactionIdOf(id))).toHaveLength(1);
    const again = await api('pay', payBody(id));
    expect(num(again.body.result)).toBe('0');
    expect(again.body.statusDate).toBeDefined();
  });

  it('HTTP 500 after the provider committed: resolved by status, never paid twice', async () => {
    h.tolem.ctx.sandbox!.simulators.get('mobile')!.setFaults({ http500AfterCommitRate: 1 });
    const id = txn();
    expect(num((await api('pay', payBody(id))).body.result)).toBe('1');
    h.tolem.ctx.sandbox!.simulators.get('mobile')!.setFaults({ http500AfterCommitRate: 0 });
    await eventually(async () => ((await state(id)).state === 'succeeded' ? true : undefined));
    expect(providerPayments(await transactionIdOf(id))).toHaveLength(1);
  });

  it('garbled answers and a provider that is down: retried with backoff until it answers', async () => {
    h.tolem.ctx.sandbox!.simulators.get('mobile')!.setFaults({ malformedRate: 1 });
    const id = txn();
    expect(num((await api('pay', payBody(id))).body.result)).toBe('1');
    h.tolem.ctx.sandbox!.simulators.get('mobile')!.setFaults({ malformedRate: 0, http500Rate: 1 });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await state(id)).state).toBe('accepted');
    h.tolem.ctx.sandbox!.simulators.get('mobile')!.setFaults({ http500Rate: 0 });
    await eventually(async () => ((await state(id)).state === 'succeeded' ? true : undefined));
    expect(providerPayments(await transactionIdOf(id))).toHaveLength(1);
  });

  it('a provider still processing: 1 until it is done, then 0', async () => {
    h.tolem.ctx.sandbox!.simulators.get('mobile')!.setFaults({ processingMs: 1_000 });
    const id = txn();
    expect(num((await api('pay', payBody(id, '7770010001'))).body.result)).toBe('1');
    const done = await eventually(async () => {
      const answer = await api('pay', payBody(id, '7770010001'));
      return num(answer.body.result) === '0' ? answer : undefined;
    });
    expect(done.body.statusDate).toBeDefined();
  });

  it('a payment unresolved past the bound goes to the attention list and is still driven', async () => {
    h.tolem.ctx.sandbox!.simulators.get('mobile')!.setFaults({ http500Rate: 1 });
    const id = txn();
    await api('pay', payBody(id));
    const tx = await transactionIdOf(id);
    const item = await eventually(async () => (await listAttention(h.db)).find((i) => i.paymentId?.toString() === tx));
    expect(item.kind).toBe('unresolved');
    expect(item.payment?.state).toBe('accepted');
    h.tolem.ctx.sandbox!.simulators.get('mobile')!.setFaults({ http500Rate: 0 });
    await eventually(async () => ((await state(id)).state === 'succeeded' ? true : undefined));
    // Once settled, the item closes itself: the list shows only what still needs a person.
    expect((await listAttention(h.db)).find((i) => i.paymentId?.toString() === tx)).toBeUndefined();
    const closed = (await listAttention(h.db, true)).find((i) => i.paymentId?.toString() === tx);
    expect(closed?.resolution).toBe('settled by the system: succeeded (0)');
  });
});

describe('a repeated pay with a changed body', () => {
  it('is 202 while the original is temporary, and the original goes on (spec footnote to Table 1)', async () => {
    h.tolem.ctx.sandbox!.simulators.get('mobile')!.setFaults({ processingMs: 800 });
    const id = txn();
    expect(num((await api('pay', payBody(id, '7770010001'))).body.result)).toBe('1');
    const changed = await api('pay', payBody(id, '7770010001', '300.00'));
    expect(num(changed.body.result)).toBe('202');
    await eventually(async () => ((await state(id)).state === 'succeeded' ? true : undefined));
    expect(num((await api('pay', payBody(id, '7770010001', '300.00'))).body.result)).toBe('215');
  });
});

describe('agent funds', () => {
  it('220 when the reservation would cross the floor; paid once the agent is topped up', async () => {
    const poor = await newAgent(h.db, { openingBalanceMinor: 10_000n, notificationMinor: 15_000n });
    const poorApi = agentApi(h.url, poor.token);
    const id = txn();
    const first = await poorApi('pay', payBody(id, '7770017711', '150.00'));
    expect(num(first.body.result)).toBe('220');
    expect(num((await poorApi('pay', payBody(id, '7770017711', '150.00'))).body.result)).toBe('220');
    await topUp(h.db, poor.id, 10_000n, 'test top-up');
    await eventually(async () => {
      const answer = await poorApi('pay', payBody(id, '7770017711', '150.00'));
      return num(answer.body.result) === '0' ? true : undefined;
    });
    const events = await h.db.query<{ kind: string }>('SELECT kind FROM agent_events WHERE agent_id = $1', [poor.id]);
    expect(events.rows.map((e) => e.kind)).toContain('balance_below_notification');
  });

  it('250 when the balance is not topped up in time; the reservation never happened', async () => {
    const poor = await newAgent(h.db, { openingBalanceMinor: 5_000n });
    const poorApi = agentApi(h.url, poor.token);
    const id = txn();
    expect(num((await poorApi('pay', payBody(id))).body.result)).toBe('220');
    const final = await eventually(async () => {
      const answer = await poorApi('pay', payBody(id));
      return num(answer.body.result) === '250' ? answer : undefined;
    });
    expect(final.body.statusDate).toBeDefined();
    const agent = await findAgent(h.db, poor.id);
    expect(agent).toBeDefined();
  });

  it('an overdraft floor below zero lets an agent go into credit down to it', async () => {
    const credit = await newAgent(h.db, { openingBalanceMinor: 0n, overdraftMinor: -50_000n });
    const creditApi = agentApi(h.url, credit.token);
    expect(num((await creditApi('pay', payBody(txn(), '7770017711', '400.00'))).body.result)).toBe('0');
    expect(num((await creditApi('pay', payBody(txn(), '7770017711', '200.00'))).body.result)).toBe('220');
    expect(JSON.parse((await creditApi('balance')).text).agent).toMatchObject({ balance: -400, overdraft: -500 });
  });
});
