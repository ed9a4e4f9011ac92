import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topUp } from '../../src/engine/agents.ts';
import { agentApi, eventually, expectLedgerBalanced, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';

/**
 * Property: under any sequence of checks, pays, duplicates, changed repeats, provider failures and top-ups, once the
 * durable jobs have settled everything the ledger balances, every succeeded payment posted exactly its amount once,
 * every other reservation was voided, the agent's balance is opening + top-ups − succeeded payments, and the
 * provider holds exactly one payment per succeeded transaction.
 */
type Command =
  | { kind: 'check'; account: string }
  | { kind: 'pay'; account: string; amount: number }
  | { kind: 'duplicate'; index: number }
  | { kind: 'changed'; index: number }
  | { kind: 'faults'; http500: boolean; malformed: boolean }
  | { kind: 'topup'; amount: number };

const account = fc.constantFrom('7770017711', '7770017722', '7770000000', '7770000009', '7770000008');
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('check' as const), account }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('pay' as const), account, amount: fc.integer({ min: 5_000, max: 60_000 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), index: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('changed' as const), index: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('faults' as const), http500: fc.boolean(), malformed: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('topup' as const), amount: fc.integer({ min: 1_000, max: 50_000 }) }) },
);

let h: Harness;
let nextId = 300_000_000_000_000_000n;

beforeAll(async () => {
  h = await startTolem({ engine: { providerDeadlineMs: 300, providerTimeoutMs: 300, retryBaseMs: 50, retryMaxMs: 200, fundsWaitMs: 60_000 } });
});
afterAll(async () => h?.close());

function amountText(minor: number): string {
  return `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;
}

describe('ledger invariants under random sequences', () => {
  it('hold after every sequence, once everything has settled', { timeout: 240_000 }, async () => {
    const mobile = h.tolem.ctx.sandbox!.simulators.get('mobile')!;
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 5, maxLength: 25 }), async (commands) => {
        const opening = 200_000n;
        const agent = await newAgent(h.db, { openingBalanceMinor: opening });
        const api = agentApi(h.url, agent.token);
        const pays: { id: string; body: string }[] = [];
        let toppedUp = 0n;
        for (const c of commands) {
          switch (c.kind) {
            case 'check': {
              const id = (nextId += 1n).toString();
              await api('check', `{"serviceId":"P1011","account":"${c.account}","agentTransactionId":${id},"agentTransactionDate":"2026-11-22T10:00:00"}`);
              break;
            }
            case 'pay': {
              const id = (nextId += 1n).toString();
              const body = `{"serviceId":"P1011","account":"${c.account}","agentTransactionId":${id},"agentTransactionDate":"2026-11-22T10:00:00","amountTo":${amountText(c.amount)},"amountFrom":${amountText(c.amount)}}`;
              pays.push({ id, body });
              await api('pay', body);
              break;
            }
            case 'duplicate':
              if (pays.length) await api('pay', pays[c.index % pays.length]!.body);
              break;
            case 'changed':
              if (pays.length) await api('pay', pays[c.index % pays.length]!.body.replace('"amountFrom":', '"extras":{"account1":"x"},"amountFrom":'));
              break;
            case 'faults':
              mobile.setFaults({ http500Rate: c.http500 ? 1 : 0, malformedRate: c.malformed ? 0.5 : 0 });
              break;
            case 'topup':
              await topUp(h.db, agent.id, BigInt(c.amount), 'property test');
              toppedUp += BigInt(c.amount);
              break;
          }
        }
        mobile.setFaults({ http500Rate: 0, malformedRate: 0 });
        // Waiting pays (220) stay waiting until topped up or expired; everything the provider saw must settle.
        await eventually(async () => {
          const open = await h.db.query<{ n: bigint }>(`SELECT count(*) AS n FROM payments WHERE agent_id = $1 AND state = 'accepted'`, [agent.id]);
          return open.rows[0]!.n === 0n ? true : undefined;
        }, 30_000, 50);

        await expectLedgerBalanced(h.db);
        const succeeded = await h.db.query<{ id: bigint; amount_to_minor: bigint }>(
          `SELECT id, amount_to_minor FROM payments WHERE agent_id = $1 AND state = 'succeeded'`, [agent.id]);
        const spent = succeeded.rows.reduce((sum, row) => sum + row.amount_to_minor, 0n);
        const balance = JSON.parse((await api('balance')).text).agent.balance as number;
        const reserved = await h.db.query<{ n: string }>(
          `SELECT COALESCE(SUM(amount_to_minor), 0)::text AS n FROM payments WHERE agent_id = $1 AND state = 'waiting' AND reservation_id IS NOT NULL`, [agent.id]);
        expect(reserved.rows[0]!.n).toBe('0');
        expect(BigInt(Math.round(balance * 100))).toBe(opening + toppedUp - spent);
        const posts = await h.db.query<{ payment_id: bigint; n: bigint }>(
          `SELECT payment_id, count(*) AS n FROM ledger_transfers WHERE kind = 'post' AND payment_id IN (SELECT id FROM payments WHERE agent_id = $1) GROUP BY payment_id`, [agent.id]);
        expect(posts.rows.every((row) => row.n === 1n)).toBe(true);
        expect(posts.rows.map((row) => row.payment_id).sort()).toEqual(succeeded.rows.map((row) => row.id).sort());
        const held = new Set(mobile.committed().filter((p) => p.status === 'paid').map((p) => p.reference));
        for (const row of succeeded.rows) expect(held.has(row.id.toString())).toBe(true);
        const references = mobile.committed().map((p) => p.reference);
        expect(new Set(references).size).toBe(references.length);
        for (const pay of pays) {
          const answer = await api('pay', pay.body);
          expect(['0', '4', '5', '8', '220', '300']).toContain(num(answer.body.result));
        }
      }),
      { numRuns: 12 },
    );
  });
});
