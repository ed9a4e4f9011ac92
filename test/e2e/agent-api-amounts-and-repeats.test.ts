import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeAgentJson } from '../../src/gateways/agent-api/codec.ts';
import { agentApi, expectLedgerBalanced, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';

/**
 * The amounts a provider names (a fixed order sum, a currency conversion) and the answers to a changed body for an
 * existing agentTransactionId, over HTTP against the sandbox providers. A refused request writes and reserves nothing.
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

const available = async () => BigInt(num((decodeAgentJson((await api('balance')).text) as { agent: { balance: unknown } }).agent.balance).replace('.', ''));

async function storedRows(id: string): Promise<{ state: string; amount_to_minor: bigint | null }[]> {
  const result = await h.db.query<{ state: string; amount_to_minor: bigint | null }>(
    'SELECT state, amount_to_minor FROM payments WHERE agent_id = $1 AND agent_txn_id = $2', [agentId, BigInt(id)]);
  return result.rows;
}

const shop = { serviceId: 'P1012', account: '1234567890', extras: { account1: '0000000001' } };

describe('fixed payments (P1012: the provider names 20000.00 at check)', () => {
  it('refuses another amount after a check with a final code, reserving nothing, and pays the fixed amount', async () => {
    const id = txn();
    expect(num((await api('check', body(shop, id))).body.result)).toBe('0');
    const before = await available();
    const low = await api('pay', body(shop, id, '10.00'));
    expect(low.text).toBe(`{"result":241,"resultMessage":"amountTo must be the fixed amount 20000.00 named by the provider","agentTransactionId":${id}}`);
    const high = await api('pay', body(shop, id, '20000.01'));
    expect(num(high.body.result)).toBe('242');
    expect(await available()).toBe(before);
    expect(await storedRows(id)).toEqual([{ state: 'checked', amount_to_minor: 20_000n }]);
    const pay = await api('pay', body(shop, id, '20000.00'));
    expect(num(pay.body.result)).toBe('0');
    expect(before - (await available())).toBe(2_000_000n);
  });

  it('asks the provider first when a pay comes without a check: a wrong amount is refused and nothing is written', async () => {
    const id = txn();
    const before = await available();
    const wrong = await api('pay', body(shop, id, '10.00'));
    expect(num(wrong.body.result)).toBe('241');
    expect(wrong.body.transactionId).toBeUndefined();
    expect(await storedRows(id)).toEqual([]);
    expect(await available()).toBe(before);
    const pay = await api('pay', body(shop, id, '20000.00'));
    expect(num(pay.body.result)).toBe('0');
    expect(pay.body.displays).toEqual({ fio: 'Test fio', info: 'Сумма к оплате 20000.00 тенге', fixedAmount: '20000.00' });
  });

  it('passes on the provider\'s refusal of the check it asks for before a pay', async () => {
    const id = txn();
    const refused = await api('pay', body({ ...shop, account: '1234560000' }, id, '20000.00'));
    expect(num(refused.body.result)).toBe('5');
    expect(await storedRows(id)).toEqual([]);
  });
});

describe('international top-up (P2001: KZT → USD)', () => {
  const intl = { serviceId: 'P2001', account: '12025550123' };

  it('a pay after a check without an amount answers the conversion of the amount paid', async () => {
    const id = txn();
    const check = await api('check', JSON.stringify({ ...intl, agentTransactionId: '__ID__', agentTransactionDate: '2015-02-17T16:48:37' }).replace('"__ID__"', id));
    expect(num(check.body.result)).toBe('0');
    const pay = await api('pay', body(intl, id, '840.00'));
    expect(num(pay.body.result)).toBe('0');
    expect(pay.body.currencyRate).toBe('Курс конвертации KZT/USD 0.0021');
    expect(num(pay.body.rate)).toBe('0.0020833333');
    expect(num(pay.body.finalAmount)).toBe('1.74');
    expect(pay.body.currency).toBe('USD');
    expect((await api('pay', body(intl, id, '840.00'))).text).toBe(pay.text);
  });

  it('a pay of the amount quoted at check keeps that quote', async () => {
    const id = txn();
    await api('check', body(intl, id, '600.00'));
    const pay = await api('pay', body(intl, id, '600.00'));
    expect(num(pay.body.finalAmount)).toBe('1.24');
  });
});

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
