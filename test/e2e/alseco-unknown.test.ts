/**
 * Unknown outcomes and bad answers from Alseco: every one ends in exactly one payment at Alseco (or none), resolved by
 * asking Alseco for the SysRef (getPaysInfo), never by paying again blindly. Also same-day rollback through cancel.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { agentApi, eventually, expectLedgerBalanced, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';
import { alsecoAdmin, alsecoBody, nextTxnId, type Line } from '../helpers/alseco.ts';

let h: Harness;
let api: ReturnType<typeof agentApi>;
let admin: ReturnType<typeof alsecoAdmin>;
let agentId: bigint;

beforeAll(async () => {
  h = await startTolem();
  const agent = await newAgent(h.db);
  agentId = agent.id;
  api = agentApi(h.url, agent.token);
  admin = alsecoAdmin(h.url);
});
afterEach(async () => {
  await admin.clearFaults();
  await admin.clock(null);
});
afterAll(async () => h?.close());

const LINES: Line[] = [{ subServiceId: '45', amountMinor: 64_000n }];

async function state(transactionId: string): Promise<string> {
  const row = await h.db.query<{ state: string }>(`SELECT state FROM payments WHERE id = $1`, [BigInt(transactionId)]);
  return row.rows[0]!.state;
}

/** Pays account 0000100117 under the given faults and waits for the final state. */
async function payThrough(faults: Record<string, unknown>): Promise<{ first: string; transactionId: string; final: string; payCalls: number; statusQueries: number }> {
  const { stats } = await admin.payments();
  const before = stats.payCalls;
  const queriesBefore = stats.byMethod.getPaysInfo ?? 0;
  await admin.faults(faults);
  const id = nextTxnId();
  const pay = await api('pay', alsecoBody({ account: '0000100117', id, lines: LINES }));
  const transactionId = num(pay.body.transactionId);
  const final = await eventually(async () => {
    const current = await state(transactionId);
    return current === 'succeeded' || current === 'failed' ? current : undefined;
  }, 40_000, 200);
  const after = (await admin.payments()).stats;
  return { first: num(pay.body.result), transactionId, final, payCalls: after.payCalls - before, statusQueries: (after.byMethod.getPaysInfo ?? 0) - queriesBefore };
}

async function paymentsAtAlseco(sysRef: string) {
  return (await admin.payments()).payments.filter((p) => p.sysRef === sysRef && !p.rolledBack);
}

describe('unknown outcomes resolve to exactly one payment at Alseco', () => {
  it('timeout after Alseco committed: the agent hears 1, the status query finds the SysRef, no second Pay', async () => {
    const run = await payThrough({ hangAfterCommitRate: 1, hangMs: 4_000, methods: ['Pay'], times: 1 });
    expect(run.first).toBe('1');
    expect(run.final).toBe('succeeded');
    expect(run.payCalls).toBe(1);
    expect(run.statusQueries).toBeGreaterThanOrEqual(1);
    expect(await paymentsAtAlseco(run.transactionId)).toHaveLength(1);
    await expectLedgerBalanced(h.db);
  });

  it('an HTML 500 page after Alseco committed: resolved by the status query, one payment', async () => {
    const run = await payThrough({ http500AfterCommitRate: 1, methods: ['Pay'], times: 1 });
    expect(['1', '0']).toContain(run.first); // 0 when the status job settled it before the answer was read back
    expect(run.statusQueries).toBeGreaterThanOrEqual(1);
    expect(run.final).toBe('succeeded');
    expect(run.payCalls).toBe(1);
    expect(await paymentsAtAlseco(run.transactionId)).toHaveLength(1);
  });

  it('a truncated XML answer to Pay: unknown, then one payment', async () => {
    const run = await payThrough({ malformedRate: 1, methods: ['Pay'], times: 1 });
    expect(['1', '0']).toContain(run.first); // 0 when the status job settled it before the answer was read back
    expect(run.statusQueries).toBeGreaterThanOrEqual(1);
    expect(run.final).toBe('succeeded');
    expect(run.payCalls).toBe(1);
    expect(await paymentsAtAlseco(run.transactionId)).toHaveLength(1);
  });

  it('a huge answer to Pay is refused unread: unknown, then one payment', async () => {
    const run = await payThrough({ hugeRate: 1, methods: ['Pay'], times: 1 });
    expect(['1', '0']).toContain(run.first); // 0 when the status job settled it before the answer was read back
    expect(run.statusQueries).toBeGreaterThanOrEqual(1);
    expect(run.final).toBe('succeeded');
    expect(await paymentsAtAlseco(run.transactionId)).toHaveLength(1);
  });

  it('a soap:Server fault before anything was paid: Alseco positively lacks the SysRef, so it is paid once more, once', async () => {
    const run = await payThrough({ soapFaultRate: 1, methods: ['Pay'], times: 1 });
    expect(['1', '0']).toContain(run.first); // 0 when the status job settled it before the answer was read back
    expect(run.statusQueries).toBeGreaterThanOrEqual(1);
    expect(run.final).toBe('succeeded');
    // The faulted call never reached the payment logic; the second Pay is the only one Alseco executed.
    expect(run.payCalls).toBe(1);
    expect(await paymentsAtAlseco(run.transactionId)).toHaveLength(1);
  });

  it('while the status query itself fails, the payment stays in processing and is never paid twice', async () => {
    const run = await payThrough({ hangAfterCommitRate: 1, soapFaultRate: 1, hangMs: 3_000, methods: ['Pay', 'getPaysInfo'], times: 3 });
    expect(run.first).toBe('1');
    expect(run.final).toBe('succeeded');
    expect(run.payCalls).toBe(1);
    expect(await paymentsAtAlseco(run.transactionId)).toHaveLength(1);
    await expectLedgerBalanced(h.db);
  });

  it('garbage answers to check (HTML page, truncated XML, SOAP fault) give the agent 1 or a final code, never a crash', async () => {
    for (const faults of [{ http500Rate: 1 }, { malformedRate: 1 }, { soapFaultRate: 1 }]) {
      await admin.clearFaults();
      await admin.faults({ ...faults, methods: ['GetInvoicesByAccountsNew'], times: 1 });
      const answer = await api('check', alsecoBody({ account: '0000100110', id: nextTxnId() }));
      expect(answer.status).toBe(200);
      expect(num(answer.body.result)).toBe('1');
    }
    const after = await api('check', alsecoBody({ account: '0000100110', id: nextTxnId() }));
    expect(num(after.body.result)).toBe('0');
  });
});

describe('cancel: same-day rollback by SysRef', () => {
  async function paid(): Promise<{ agentTxnId: bigint; transactionId: string }> {
    const id = nextTxnId();
    const pay = await api('pay', alsecoBody({ account: '0000100116', id, lines: LINES }));
    expect(num(pay.body.result)).toBe('0');
    return { agentTxnId: BigInt(id), transactionId: num(pay.body.transactionId) };
  }

  it('rolls back a payment on the day it arrived and returns the money to the agent', async () => {
    const { agentTxnId, transactionId } = await paid();
    const answer = await h.tolem.ctx.engine.cancel(agentId, agentTxnId, 'customer changed their mind');
    expect(answer.kind).toBe('cancelled');
    const atAlseco = (await admin.payments()).payments.filter((p) => p.sysRef === transactionId);
    expect(atAlseco).toHaveLength(1);
    expect(atAlseco[0]!.rolledBack).toBe(true);
    expect(await state(transactionId)).toBe('cancelled');
    await expectLedgerBalanced(h.db);
  });

  it('refuses clearly on the next day (PaymentProcessed): nothing moves', async () => {
    const { agentTxnId, transactionId } = await paid();
    await admin.clock(new Date(h.tolem.ctx.clock.now().getTime() + 86_400_000).toISOString());
    const answer = await h.tolem.ctx.engine.cancel(agentId, agentTxnId, 'too late');
    expect(answer.kind).toBe('refused');
    if (answer.kind !== 'refused') return;
    expect(answer.reason).toBe('provider_refused');
    expect(answer.message).toMatch(/только в день поступления/);
    expect(await state(transactionId)).toBe('succeeded');
    expect((await paymentsAtAlseco(transactionId))).toHaveLength(1);
    await expectLedgerBalanced(h.db);
  });

  it('a rollback whose answer is lost is unknown, not cancelled', async () => {
    const { agentTxnId, transactionId } = await paid();
    await admin.faults({ http500Rate: 1, methods: ['RollbackPaymentsBySysRef'], times: 1 });
    const answer = await h.tolem.ctx.engine.cancel(agentId, agentTxnId, 'lost answer');
    expect(answer.kind).toBe('unknown');
    expect(await state(transactionId)).toBe('succeeded');
  });
});
