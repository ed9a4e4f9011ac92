import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentApi, expectLedgerBalanced, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';

let h: Harness;
let api: ReturnType<typeof agentApi>;

beforeAll(async () => {
  h = await startTolem();
  const agent = await newAgent(h.db);
  api = agentApi(h.url, agent.token);
});
afterAll(async () => h?.close());

describe('smoke', () => {
  it('checks and pays a mobile top-up', async () => {
    const check = await api('check', '{"serviceId":"P1011","account":"7770017711","agentTransactionId":1233355,"agentTransactionDate":"2015-02-17T16:48:37","amountTo":200.00,"amountFrom":200.00}');
    expect(check.status).toBe(200);
    expect(num(check.body.result)).toBe('0');
    const pay = await api('pay', '{"serviceId":"P1011","account":"7770017711","agentTransactionId":1233355,"agentTransactionDate":"2015-02-17T16:48:37","amountTo":200.00,"amountFrom":200.00}');
    expect(num(pay.body.result)).toBe('0');
    expect(num(pay.body.transactionId)).toBe(num(check.body.transactionId));
    await expectLedgerBalanced(h.db);
  });
});
