import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newAgent, startTolem, type Harness } from '../helpers/harness.ts';

/**
 * /metrics carries the hub's operational promise: the published bound, how many payments are not final, the age of
 * the oldest, those past the bound, and unknown outcomes by provider — read from the store at the hub's clock.
 */
let h: Harness;
let nextTxn = 730_000_000_000_000_001n;

beforeAll(async () => {
  h = await startTolem({ jobs: false });
});
afterAll(async () => h?.close());

async function plant(agentId: bigint, state: 'accepted' | 'waiting' | 'succeeded', ageMinutes: number, provider: string, outcome: string | null): Promise<void> {
  const at = new Date(h.tolem.ctx.clock.now().getTime() - ageMinutes * 60_000);
  await h.db.query(
    `INSERT INTO payments (agent_id, agent_txn_id, service_id, account, currency, request, state, result_code, result_message, provider, provider_outcome, created_at, paid_at)
     VALUES ($1, $2, 'P1011', '7770017711', 'KZT', '{}', $3, 1, 'in processing', $4, $5, $6, $6)`,
    [agentId, nextTxn++, state, provider, outcome, at],
  );
}

function gauge(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

describe('operational guarantees on /metrics', () => {
  it('an idle hub: nothing unfinished, age 0, the bound published', async () => {
    const text = await (await fetch(`${h.url}/metrics`)).text();
    expect(gauge(text, 'tolem_final_bound_seconds')).toBe(7_200);
    expect(gauge(text, 'tolem_oldest_unfinished_payment_age_seconds')).toBe(0);
    expect(gauge(text, 'tolem_unfinished_past_bound')).toBe(0);
    expect(gauge(text, 'tolem_unfinished_query_ok')).toBe(1);
  });

  it('counts unfinished payments, the oldest one\'s age, those past the bound and unknown outcomes by provider', async () => {
    const agent = await newAgent(h.db);
    await plant(agent.id, 'accepted', 10, 'sandbox-mobile', 'unknown');
    await plant(agent.id, 'accepted', 20, 'sandbox-mobile', 'unknown');
    await plant(agent.id, 'accepted', 5, 'alseco', 'pending');
    await plant(agent.id, 'waiting', 180, 'sandbox-mobile', null);
    await plant(agent.id, 'succeeded', 600, 'sandbox-mobile', 'paid');
    // The snapshot is shared for a second between scrapes: ask after it.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const text = await (await fetch(`${h.url}/metrics`)).text();
    expect(gauge(text, 'tolem_unfinished_payments', 'state="accepted"')).toBe(3);
    expect(gauge(text, 'tolem_unfinished_payments', 'state="waiting"')).toBe(1);
    const age = gauge(text, 'tolem_oldest_unfinished_payment_age_seconds')!;
    expect(age).toBeGreaterThanOrEqual(180 * 60);
    expect(age).toBeLessThan(181 * 60);
    expect(gauge(text, 'tolem_unfinished_past_bound')).toBe(1);
    expect(gauge(text, 'tolem_unknown_outcomes', 'provider="sandbox-mobile",outcome="unknown"')).toBe(2);
    expect(gauge(text, 'tolem_unknown_outcomes', 'provider="alseco",outcome="pending"')).toBe(1);
    // Leave the books as they were: these rows hold no money, and they must not stay unfinished for the file's check.
    await h.db.query(`UPDATE payments SET state = 'failed', result_code = 300 WHERE agent_id = $1 AND state IN ('accepted', 'waiting')`, [agent.id]);
  });
});
