import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proveCampaignDays } from '../../chaos/money-proofs.ts';
import { findAgent, topUpIn } from '../../src/engine/agents.ts';
import type { ShiftedClock } from '../../src/domain/clock.ts';
import { agentApi, clockAt, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';

/**
 * The chaos campaign's last step (chaos/money-proofs.ts), over a store whose traffic crosses Almaty's midnight at fixed
 * instants: the days come from the transfers in their currency's zone, each is proved with a clock after its end and
 * chained to the one before, a planted edit of a proved day is caught; and a failing check shows in the report.
 */
let h: Harness;
let clock: ShiftedClock;
let pay: ReturnType<typeof agentApi>;
let nextId = 771_000_000_000_000_000n;
const lines: string[] = [];
const log = (line: string) => lines.push(line);

beforeAll(async () => {
  clock = clockAt('2026-11-30T23:50:00+05:00');
  h = await startTolem({ clock });
  const agent = await newAgent(h.db, { openingBalanceMinor: 0n });
  pay = agentApi(h.url, agent.token);
  await h.db.tx(async (q) => topUpIn(q, (await findAgent(q, agent.id))!, 1_000_000n, 'chaos test top-up', { at: clock.now() }));
  await paid('100.00');
  clock.set(new Date('2026-12-01T00:10:00+05:00')); // past midnight in Almaty: the second payment is the 1st's
  await paid('250.50');
});
afterAll(async () => h?.close());

async function paid(amount: string): Promise<bigint> {
  const id = (nextId += 1n);
  const body = `{"serviceId":"P1011","account":"7770017711","agentTransactionId":${id},"agentTransactionDate":"2026-11-30T10:00:00","amountTo":${amount},"amountFrom":${amount}}`;
  expect(num((await pay('check', body)).body.result)).toBe('0');
  const answer = await pay('pay', body);
  expect(num(answer.body.result)).toBe('0');
  return BigInt(num(answer.body.transactionId));
}

describe('the campaign\'s money proofs', () => {
  it('a payment\'s settlement edited before the proof: that day\'s proof fails, its check is in the report', async () => {
    const post = (await h.db.query<{ id: bigint; payment_id: bigint }>(
      `SELECT id, payment_id FROM ledger_transfers WHERE kind = 'post' ORDER BY id DESC LIMIT 1`)).rows[0]!;
    await h.db.query(`UPDATE ledger_transfers SET amount_minor = amount_minor + 1 WHERE id = $1`, [post.id]);
    try {
      const report = await proveCampaignDays(h.db, log);
      expect(report.ok).toBe(false);
      expect(report.proofs.map((p) => [p.day, p.ok])).toEqual([['2026-11-30', false], ['2026-12-01', false]]);
      expect(report.proofs[1]!.problems.join('\n')).toContain(`payment ${post.payment_id} (succeeded, 25050): the ledger moved 25051`);
      // The 30th's own transfers are untouched; only the check of the ledger as it is now (cached totals) fails there.
      expect(report.proofs[0]!.problems.length).toBeGreaterThan(0);
      expect(report.proofs[0]!.problems.every((problem) => problem.startsWith('now: '))).toBe(true);
      expect(lines.some((line) => line.startsWith('money proof 2026-12-01 (KZT): NOT ok: '))).toBe(true);
    } finally {
      await h.db.query(`UPDATE ledger_transfers SET amount_minor = amount_minor - 1 WHERE id = $1`, [post.id]);
      // Test only: the stored proofs of the edited ledger go, so that the next run proves the days afresh.
      await h.db.query(`DELETE FROM money_proofs`);
    }
  });

  it('proves every day the traffic touched, chained, and catches a planted edit of a proved day', async () => {
    lines.length = 0;
    const report = await proveCampaignDays(h.db, log);
    expect(report.errors).toEqual([]);
    expect(report.proofs.map((p) => ({ day: p.day, currencies: p.currencies, ok: p.ok, problems: p.problems }))).toEqual([
      { day: '2026-11-30', currencies: ['KZT'], ok: true, problems: [] },
      { day: '2026-12-01', currencies: ['KZT'], ok: true, problems: [] },
    ]);
    expect(report.proofs[0]!.previousSha256).toBeNull();
    expect(report.proofs[1]!.previousSha256).toBe(report.proofs[0]!.sha256);
    expect(report.proofs[1]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(report.covered).toBe(true);
    expect(report.planted).toMatchObject({ day: '2026-12-01', caught: true });
    expect(report.planted!.changes.join('\n')).toMatch(/: (funding|payments) -?\d+ → -?\d+/);
    expect(report.ok).toBe(true);
    expect(lines).toContain(`money proof 2026-12-01 (KZT): ok, sha256 ${report.proofs[1]!.sha256}`);
    // The planted edit was undone: the ledger is as the traffic left it (the harness checks it again at the end).
    const again = await proveCampaignDays(h.db, () => undefined);
    expect(again.proofs.every((p) => p.ok && p.problems.length === 0)).toBe(true);
  });
});
