/**
 * The agent's own registry for its reconciliation (issue 13, item 1): the cabinet's payments as CSV and as XLSX, the
 * same filters; the workbook reads back with every payment of the agent and none of another's, 18-digit ids exact.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentUser } from '../../src/engine/agent-users.ts';
import { agentApi, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';
import { PanelClient } from '../helpers/panel.ts';

let h: Harness;
const PASSWORD = 'agent password 1';
const paid: string[] = [];
let foreign: string;

const pay = (id: bigint, amount: string) => `{"serviceId":"P1011","account":"7770017711","agentTransactionId":${id},"agentTransactionDate":"2026-11-22T10:00:00","amountTo":${amount},"amountFrom":${amount}}`;

beforeAll(async () => {
  h = await startTolem();
  const a = await newAgent(h.db, { name: 'Agent A' });
  const b = await newAgent(h.db, { name: 'Agent B' });
  await createAgentUser(h.db, a.id, { login: 'alice', password: PASSWORD }, h.tolem.ctx.clock);
  for (const [i, amount] of ['100.00', '333.33', '1500.50'].entries()) {
    const answer = await agentApi(h.url, a.token)('pay', pay(987_654_321_012_345_670n + BigInt(i), amount));
    expect(num(answer.body.result)).toBe('0');
    paid.push(num(answer.body.transactionId));
  }
  foreign = num((await agentApi(h.url, b.token)('pay', pay(987_654_321_012_345_670n, '200.00'))).body.transactionId);
}, 60_000);
afterAll(async () => h?.close());

describe('the agent\'s registry from the cabinet', () => {
  it('downloads as XLSX: every own payment, exact ids, amounts to the cent; another agent\'s never', async () => {
    const client = new PanelClient(h.url, '/cabinet');
    expect((await client.login('alice', PASSWORD)).status).toBe(303);
    const response = await fetch(`${h.url}/cabinet/payments.xlsx?state=succeeded`, { headers: { cookie: client.cookieHeader } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('spreadsheetml');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(Buffer.from(await response.arrayBuffer()) as unknown as ArrayBuffer);
    const rows = (book.worksheets[0]!.getSheetValues().filter(Boolean) as unknown[][]).slice(1);
    expect(rows.map((row) => row[1]).sort()).toEqual([...paid].sort());
    expect(rows.map((row) => row[2]).sort()).toEqual(['987654321012345670', '987654321012345671', '987654321012345672']);
    expect(rows.map((row) => row[5]).sort()).toEqual([100, 1500.5, 333.33]);
    expect(rows.flat()).not.toContain(foreign);

    const csv = await client.get('/payments.csv?state=succeeded');
    for (const id of paid) expect(csv.text).toContain(id);
    expect((await client.get('/payments')).text).toContain('/cabinet/payments.xlsx?');
  });

  it('without a session leads to the login', async () => {
    const anonymous = new PanelClient(h.url, '/cabinet');
    const answer = await anonymous.get('/payments.xlsx');
    expect(answer.status).toBe(303);
    expect(answer.location).toMatch(/^\/cabinet\/login/);
  });
});
