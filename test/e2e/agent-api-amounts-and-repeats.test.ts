import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseAgentJson } from '../../src/gateways/agent-api/codec.ts';
import { agentApi, expectLedgerBalanced, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';

/**
 * The answers to a changed body for an existing agentTransactionId, over HTTP against the sandbox providers. A refused
 * request writes and reserves nothing.
 */
let h: Harness;
let api: ReturnType<typeof agentApi>;
let agentId: bigint;
let nextId = 910_000_000_000_000_000n;
const txn = () => (nextId += 1n).toString();

beforeAll(async () => {
  h = await startTolem();
  const agent = await newAgent(h.db, { openingBalanceMinor: 10_000_000n });
  agentId = agent.id;
  api = agentApi(h.url, agent.token);
});
afterEach(async () => expectLedgerBalanced(h.db));
afterAll(async () => h?.close());

/** A request as an agent writes it: the id and the amounts as JSON number tokens. */
function body(overrides: Record<string, unknown>, id: string, amount = '200.00'): string {
  const base = { serviceId: 'P1011', account: '7770017711', agentTransactionId: '__ID__', agentTransactionDate: '2015-02-17T16:48:37', amountTo: '__A__', amountFrom: '__A__', ...overrides };
  return JSON.stringify(base).replace('"__ID__"', id).replaceAll('"__A__"', amount);
}

const available = async () => BigInt(num((parseAgentJson((await api('balance')).text) as { agent: { balance: unknown } }).agent.balance).replace('.', ''));

async function storedRows(id: string): Promise<{ state: string; amount_to_minor: bigint | null }[]> {
  const result = await h.db.query<{ state: string; amount_to_minor: bigint | null }>(
    'SELECT state, amount_to_minor FROM payments WHERE agent_id = $1 AND agent_txn_id = $2', [agentId, BigInt(id)]);
  return result.rows;
}

describe('a changed body for an existing agentTransactionId names the fields that differ', () => {
  it('215 after a final pay, one field or several', async () => {
    const id = txn();
    expect(num((await api('pay', body({}, id))).body.result)).toBe('0');
    const amount = await api('pay', body({}, id, '201.00'));
    expect(amount.text).toBe(`{"result":215,"resultMessage":"amountTo, amountFrom differ from the stored payment","agentTransactionId":${id}}`);
    const account = await api('pay', body({ account: '7770017712' }, id));
    expect(num(account.body.resultMessage)).toBe('account differs from the stored payment');
    const extras = await api('pay', body({ extras: { account1: 'x' }, agentTransactionDate: '2015-02-17T16:48:38' }, id));
    expect(num(extras.body.resultMessage)).toBe('agentTransactionDate, extras differ from the stored payment');
    const service = await api('pay', body({ serviceId: 'P1013', account: '7470017711' }, id));
    expect(num(service.body.resultMessage)).toBe('serviceId, account differ from the stored payment');
  });

  it('202 while the original pay is temporary, and the original goes on', async () => {
    const id = txn();
    const slow = { account: '7770010001' }; // sandbox: "processing" for a while
    expect(num((await api('pay', body(slow, id))).body.result)).toBe('1');
    const changed = await api('pay', body(slow, id, '300.00'));
    expect(changed.text).toBe(`{"result":202,"resultMessage":"amountTo, amountFrom differ from the payment in processing with this agentTransactionId","agentTransactionId":${id}}`);
    expect((await storedRows(id))[0]?.amount_to_minor).toBe(20_000n);
  });

  it('215 for a check repeated with another body, and for a pay of a checked id with another service or account', async () => {
    const id = txn();
    await api('check', body({}, id));
    const check = await api('check', body({ account: '7770017799' }, id));
    expect(check.text).toBe(`{"result":215,"resultMessage":"account differs from the checked transaction","agentTransactionId":${id}}`);
    const pay = await api('pay', body({ serviceId: 'P1013', account: '7470017711' }, id));
    expect(pay.text).toBe(`{"result":215,"resultMessage":"serviceId, account differ from the checked transaction","agentTransactionId":${id}}`);
    expect(await storedRows(id)).toEqual([{ state: 'checked', amount_to_minor: 20_000n }]);
  });
});
