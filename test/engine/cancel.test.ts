import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findAgent, agentFunds } from '../../src/engine/agents.ts';
import { agentApi, expectLedgerBalanced, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';

/** Cancellation through the engine: nothing moves for an unpaid transaction; a paid one is reversed exactly once. */
let h: Harness;
let agentId: bigint;
let api: ReturnType<typeof agentApi>;

beforeAll(async () => {
  h = await startTolem();
  const agent = await newAgent(h.db, { openingBalanceMinor: 100_000n });
  agentId = agent.id;
  api = agentApi(h.url, agent.token);
});
afterAll(async () => h?.close());

const body = (id: number, amount = '200.00') =>
  `{"serviceId":"P1011","account":"7770017711","agentTransactionId":${id},"agentTransactionDate":"2026-11-22T10:00:00","amountTo":${amount},"amountFrom":${amount}}`;

async function available(): Promise<bigint> {
  return (await agentFunds(h.db, (await findAgent(h.db, agentId))!)).availableMinor;
}

describe('cancel', () => {
  it('a checked transaction is closed; a pay with its id afterwards is refused (215), nothing moves', async () => {
    await api('check', body(1));
    const cancelled = await h.tolem.ctx.engine.cancel(agentId, 1n, 'customer changed their mind');
    expect(cancelled.kind).toBe('cancelled');
    const pay = await api('pay', body(1));
    expect(num(pay.body.result)).toBe('215');
    expect(await available()).toBe(100_000n);
  });

  it('a succeeded payment is cancelled at the provider and the money goes back once', async () => {
    expect(num((await api('pay', body(2))).body.result)).toBe('0');
    expect(await available()).toBe(80_000n);
    const first = await h.tolem.ctx.engine.cancel(agentId, 2n, 'operator request');
    expect(first.kind).toBe('cancelled');
    expect(await available()).toBe(100_000n);
    const again = await h.tolem.ctx.engine.cancel(agentId, 2n, 'operator request');
    expect(again.kind).toBe('cancelled');
    expect(await available()).toBe(100_000n);
    const provider = h.tolem.ctx.sandbox!.simulators.get('mobile')!.committed().find((p) => p.account === '7770017711' && p.status === 'cancelled');
    expect(provider).toBeDefined();
    await expectLedgerBalanced(h.db);
  });

  it('a failed payment is not cancelled again; an unknown one is not found', async () => {
    await api('pay', body(3).replace('7770017711', '7770000009'));
    expect(await h.tolem.ctx.engine.cancel(agentId, 3n, 'x')).toMatchObject({ kind: 'refused', reason: 'already_failed' });
    expect(await h.tolem.ctx.engine.cancel(agentId, 999n, 'x')).toEqual({ kind: 'not_found' });
    await expectLedgerBalanced(h.db);
  });
});
