import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topUpIn } from '../../src/engine/agents.ts';
import { findAgent } from '../../src/engine/agents.ts';
import { proofCsv, proofHtml } from '../../src/engine/money-proof.ts';
import { LOCAL_ACTOR, type Actor } from '../../src/engine/sessions.ts';
import { agentApi, clockAt, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';
import type { ShiftedClock } from '../../src/domain/clock.ts';

/**
 * The daily money proof (issue 13, item 3) over two business days in Kazakhstan's zone, at fixed instants: a day of
 * top-ups and payments proves consistent and is stored, hashed and chained; a day not over is refused; a transfer of
 * a proved day edited in SQL afterwards, and a payment's transfer edited on the next day, are both caught by the next
 * proof; the chain of stored proofs shows an edited proof; signing is another operator's, once.
 */
let h: Harness;
let clock: ShiftedClock;
let pay: ReturnType<typeof agentApi>;
let agentId: bigint;
let nextId = 770_000_000_000_000_000n;

const DAY1 = '2026-11-30';
const DAY2 = '2026-12-01';
const closer: Actor = { principal: { kind: 'operator', id: 9_001n, login: 'closer', role: 'operator' }, ip: '127.0.0.1' };

beforeAll(async () => {
  clock = clockAt('2026-11-30T10:00:00+05:00');
  h = await startTolem({ clock });
  const agent = await newAgent(h.db, { openingBalanceMinor: 0n });
  agentId = agent.id;
  pay = agentApi(h.url, agent.token);
  await topUp(1_000_000n);
});
afterAll(async () => h?.close());

async function topUp(amountMinor: bigint): Promise<bigint> {
  return h.db.tx(async (q) => topUpIn(q, (await findAgent(q, agentId))!, amountMinor, 'test top-up', { at: clock.now() }));
}

async function paid(amount: string): Promise<bigint> {
  const id = (nextId += 1n);
  const body = `{"serviceId":"P1011","account":"7770017711","agentTransactionId":${id},"agentTransactionDate":"2026-11-30T10:00:00","amountTo":${amount},"amountFrom":${amount}}`;
  expect(num((await pay('check', body)).body.result)).toBe('0');
  const answer = await pay('pay', body);
  expect(num(answer.body.result)).toBe('0');
  return BigInt(num(answer.body.transactionId));
}

const proofs = () => h.tolem.ctx.admin.moneyProofs;
const account = (proof: { body: { accounts: { code: string }[] } }, code: string) => proof.body.accounts.find((a) => a.code === code)!;

describe('the daily money proof', () => {
  it('proves a day of top-ups and payments: each account balances, the ledger sums to zero', async () => {
    await paid('100.00');
    await paid('250.50');
    await expect(proofs().prove(LOCAL_ACTOR, DAY1)).rejects.toMatchObject({ code: 'day_not_over' });

    clock.set(new Date('2026-12-01T00:00:30+05:00')); // just after midnight in Almaty: the 30th is over in KZT and KGS
    const { proof, created, changed } = await proofs().prove(LOCAL_ACTOR, DAY1);
    expect(created).toBe(true);
    expect(changed).toEqual([]);
    expect(proof.body.problems).toEqual([]);
    expect(proof.ok).toBe(true);
    expect(proof.previousHash).toBeNull();
    expect(proof.body.windows.find((w) => w.currency === 'KZT')).toEqual({ currency: 'KZT', zone: 'UTC+05:00', from: '2026-11-29T19:00:00.000Z', to: '2026-11-30T19:00:00.000Z' });
    expect(account(proof, `agent:${agentId}`)).toMatchObject({ opening: '0', funding: '1000000', payments: '-35050', corrections: '0', closing: '964950' });
    expect(account(proof, 'provider:sandbox-mobile:KZT')).toMatchObject({ payments: '35050' });
    for (const total of proof.body.totals) expect(total).toMatchObject({ posted: '0', pending: '0' });

    // Proved again: computed afresh and compared, nothing changed, the stored proof is answered.
    const again = await proofs().prove(LOCAL_ACTOR, DAY1);
    expect(again).toMatchObject({ created: false, changed: [] });
    expect(again.proof.hash).toBe(proof.hash);
  });

  it('downloads as CSV (exact amounts) and HTML, and its verdict is on /metrics', async () => {
    const proof = (await proofs().find(DAY1))!;
    const csv = proofCsv(proof);
    expect(csv).toContain(`${DAY1},KZT,agent:${agentId},agent,0.00,10000.00,-350.50,0.00,9649.50\r\n`);
    expect(csv).toContain('verdict,ok');
    expect(csv).toContain(`hash,${proof.hash}`);
    expect(proofHtml(proof)).toContain(`Money proof of ${DAY1}: consistent`);
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toContain(`tolem_money_proof_ok{day="${DAY1}",signed="false"} 1`);
  });

  it('is signed by another operator than its maker, once, and the signature is in the audit log', async () => {
    const signed = await proofs().sign(closer, DAY1);
    expect(signed).toMatchObject({ signedBy: 'operator:closer' });
    await expect(proofs().sign(closer, DAY1)).rejects.toMatchObject({ code: 'proof_signed' });
    const audit = await h.db.query<{ action: string }>(`SELECT action FROM audit_log WHERE target_kind = 'money_proof' AND target_id = $1 ORDER BY id`, [DAY1]);
    expect(audit.rows.map((row) => row.action)).toEqual(['money_proof.create', 'money_proof.sign']);
  });

  it('catches a transfer of a proved day edited afterwards, and a payment\'s transfer edited the next day', async () => {
    clock.set(new Date('2026-12-01T12:00:00+05:00'));
    const third = await paid('150.00');
    clock.set(new Date('2026-12-02T00:00:30+05:00')); // past midnight in Almaty, the last of the two zones to end the day

    // Planted: a top-up of the proved 30th made larger, and the settlement of the 1st's payment changed, in SQL.
    const topUpRow = (await h.db.query<{ id: bigint }>(`SELECT id FROM ledger_transfers WHERE reason = 'test top-up' ORDER BY id LIMIT 1`)).rows[0]!.id;
    const postRow = (await h.db.query<{ id: bigint }>(`SELECT id FROM ledger_transfers WHERE payment_id = $1 AND kind = 'post'`, [third])).rows[0]!.id;
    await h.db.query(`UPDATE ledger_transfers SET amount_minor = amount_minor + 100 WHERE id = $1`, [topUpRow]);
    await h.db.query(`UPDATE ledger_transfers SET amount_minor = amount_minor + 1 WHERE id = $1`, [postRow]);
    try {
      const { proof } = await proofs().prove(LOCAL_ACTOR, DAY2);
      expect(proof.ok).toBe(false);
      expect(proof.previousHash).toBe((await proofs().find(DAY1))!.hash);
      const problems = proof.body.problems.join('\n');
      expect(problems).toContain(`agent:${agentId}: opening 965050 differs from the closing 964950 the proof of ${DAY1} stored`);
      expect(problems).toContain(`payment ${third} (succeeded, 15000): the ledger moved 15001`);
      expect(problems).toMatch(new RegExp(`transfer ${postRow} \\(post\\) resolves 15001 of a reservation of 15000`));
      expect(problems).toContain(`now: account agent:${agentId}: cached totals differ from its transfers`);
      // The proved day, computed again, shows what moved since it was proved.
      const recheck = await proofs().prove(LOCAL_ACTOR, DAY1);
      expect(recheck.changed).toContain(`agent:${agentId}: funding 1000000 → 1000100`);
      const metrics = await (await fetch(`${h.url}/metrics`)).text();
      expect(metrics).toContain(`tolem_money_proof_ok{day="${DAY2}",signed="false"} 0`);
    } finally {
      await h.db.query(`UPDATE ledger_transfers SET amount_minor = amount_minor - 100 WHERE id = $1`, [topUpRow]);
      await h.db.query(`UPDATE ledger_transfers SET amount_minor = amount_minor - 1 WHERE id = $1`, [postRow]);
    }
  });

  it('the chain of stored proofs holds, and shows a proof edited in SQL', async () => {
    expect(await proofs().verifyChain()).toEqual({ ok: true, proofs: 2, brokenAt: null });
    await h.db.query(`UPDATE money_proofs SET body = jsonb_set(body, '{problems}', '[]'::jsonb) WHERE day = $1`, [DAY2]);
    expect(await proofs().verifyChain()).toEqual({ ok: false, proofs: 2, brokenAt: DAY2 });
  });

  it('refuses a day that is not a date', async () => {
    await expect(proofs().prove(LOCAL_ACTOR, '2026-13-45')).rejects.toMatchObject({ code: 'bad_day' });
    await expect(proofs().prove(LOCAL_ACTOR, 'yesterday')).rejects.toMatchObject({ code: 'bad_day' });
  });
});
