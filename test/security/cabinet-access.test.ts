/**
 * The agent cabinet over HTTP: no session → the login; a form without its CSRF field → 403; and agent A's user cannot
 * read or change anything of agent B through any cabinet URL (payments, their detail and export, tokens, the search's
 * hidden parameters), while its own work as shown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentUser } from '../../src/engine/agent-users.ts';
import { listTokens } from '../../src/engine/agents.ts';
import { agentApi, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';
import { PanelClient } from '../helpers/panel.ts';

let h: Harness;
const PASSWORD = 'agent password 1';
let a: { id: bigint; token: string };
let b: { id: bigint; token: string };
let bPayment: string;

const pay = (id: number) => `{"serviceId":"P1011","account":"7770017711","agentTransactionId":${id},"agentTransactionDate":"2026-11-22T10:00:00","amountTo":100.00,"amountFrom":100.00}`;

beforeAll(async () => {
  h = await startTolem();
  a = await newAgent(h.db, { name: 'Agent A' });
  b = await newAgent(h.db, { name: 'Agent B' });
  const clock = h.tolem.ctx.clock;
  await createAgentUser(h.db, a.id, { login: 'alice', password: PASSWORD }, clock);
  await createAgentUser(h.db, b.id, { login: 'bob', password: PASSWORD }, clock);
  expect(num((await agentApi(h.url, a.token)('pay', pay(501))).body.result)).toBe('0');
  const paidB = await agentApi(h.url, b.token)('pay', pay(777));
  expect(num(paidB.body.result)).toBe('0');
  bPayment = num(paidB.body.transactionId);
}, 60_000);
afterAll(async () => h?.close());

async function alice(): Promise<PanelClient> {
  const client = new PanelClient(h.url, '/cabinet');
  expect((await client.login('alice', PASSWORD)).status).toBe(303);
  return client;
}

describe('cabinet access control', () => {
  it('sends every page and action to the login without a session', async () => {
    const anonymous = new PanelClient(h.url, '/cabinet');
    for (const path of ['/', '/tokens', '/ip', '/payments', '/payments.csv', `/payments/${bPayment}`]) {
      const answer = await anonymous.get(path);
      expect(answer.status, path).toBe(303);
      expect(answer.location, path).toMatch(/^\/cabinet\/login/);
    }
    for (const path of ['/tokens', '/tokens/1/revoke', '/ip', '/logout']) expect((await anonymous.post(path, { _csrf: 'x' })).status, path).toBe(303);
  });

  it('refuses an operator\'s login and a wrong password', async () => {
    const client = new PanelClient(h.url, '/cabinet');
    expect((await client.login('alice', 'wrong one!!')).status).toBe(401);
    expect((await client.login('admin', PASSWORD)).status).toBe(401);
  });

  it('refuses a form without its CSRF field', async () => {
    const client = await alice();
    expect((await client.post('/tokens', {}, { csrf: false })).status).toBe(403);
    expect((await client.post('/ip', { ipAllow: '10.0.0.1' }, { csrf: false })).status).toBe(403);
  });

  it('never shows agent B\'s payments to agent A, whatever the URL says', async () => {
    const client = await alice();
    expect((await client.get(`/payments/${bPayment}`)).status).toBe(404);
    for (const query of [`?agent=${b.id}`, `?txn=${bPayment}`, `?agentTxn=777`, '']) {
      const list = await client.get(`/payments${query}`);
      expect(list.status, query).toBe(200);
      expect(list.text, query).not.toContain(`data-payment="${bPayment}"`); // the form may echo what was typed, never B's row
      const csv = await client.get(`/payments.csv${query}`);
      expect(csv.status, query).toBe(200);
      expect(csv.text, query).not.toContain(bPayment);
      expect(csv.text, query).not.toMatch(/\b777\b/);
    }
    expect((await client.get('/payments')).text).toMatch(/data-payment="\d+"/);
  });

  it('cannot revoke agent B\'s token through its own URL', async () => {
    const client = await alice();
    const [bToken] = await listTokens(h.db, b.id);
    const answer = await client.post(`/tokens/${bToken!.id}/revoke`, {});
    expect(answer.location).toContain('err=not_pending');
    expect((await listTokens(h.db, b.id))[0]!.status).toBe('confirmed');
  });

  it('is shut out when an operator disables its cabinet user', async () => {
    const client = new PanelClient(h.url, '/cabinet');
    const clock = h.tolem.ctx.clock;
    const { createOperator } = await import('../../src/engine/operators.ts');
    await createOperator(h.db, { login: 'olga', password: PASSWORD, role: 'operator' }, clock);
    const user = await createAgentUser(h.db, b.id, { login: 'bob2', password: PASSWORD }, clock);
    expect((await client.login('bob2', PASSWORD)).status).toBe(303);
    const operator = new PanelClient(h.url, '/console');
    expect((await operator.login('olga', PASSWORD)).status).toBe(303);
    expect((await operator.post(`/agents/${a.id}/users/${user.id}/disable`, {})).location).toContain('err=not_found'); // B's user, A's page
    expect((await operator.post(`/agents/${b.id}/users/${user.id}/disable`, {})).location).toContain('ok=user_disabled');
    expect((await client.get('/')).status).toBe(303);
    expect((await client.login('bob2', PASSWORD)).status).toBe(401);
  });

  it('manages its own IP addresses and refuses a malformed one', async () => {
    const client = await alice();
    expect((await client.post('/ip', { ipAllow: 'not-an-ip' })).location).toContain('err=bad_ip');
    expect((await client.post('/ip', { ipAllow: '127.0.0.1\n10.0.0.0/8' })).location).toContain('ok=ip_saved');
    expect((await client.get('/ip')).text).toContain('10.0.0.0/8');
    expect(num((await agentApi(h.url, a.token)('pay', pay(502))).body.result)).toBe('0'); // the test calls from 127.0.0.1
  });
});
