import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmToken, createAgent, issueToken, listTokens, revokeToken } from '../../src/engine/agents.ts';
import { agentApi, expectLedgerBalanced, newAgent, post, startTolem, type Harness } from '../helpers/harness.ts';

/** Bad input gets the protocol's own JSON answer and the right HTTP status; nothing is written for it. */
let h: Harness;
let api: ReturnType<typeof agentApi>;
let token: string;

beforeAll(async () => {
  h = await startTolem({ jobs: false });
  token = (await newAgent(h.db)).token;
  api = agentApi(h.url, token);
});
afterAll(async () => h?.close());

async function paymentsCount(): Promise<number> {
  return Number((await h.db.query<{ n: bigint }>('SELECT count(*) AS n FROM payments')).rows[0]!.n);
}

const valid = { serviceId: 'P1011', account: '7770017711', agentTransactionId: 77, agentTransactionDate: '2015-02-17T16:48:37', amountTo: 200, amountFrom: 200 };

describe('malformed requests', () => {
  it.each([
    ['malformed JSON', '{"serviceId":', 400],
    ['a JSON array', '[1,2]', 400],
    ['a JSON string', '"x"', 400],
    ['duplicate keys', '{"serviceId":"P1011","serviceId":"P1012"}', 400],
    ['missing fields', '{"serviceId":"P1011"}', 400],
    ['a mistyped field', JSON.stringify({ ...valid, account: 7770017711 }), 400],
    ['a bad date', JSON.stringify({ ...valid, agentTransactionDate: '17.02.2015' }), 400],
    ['amount 1e3', JSON.stringify(valid).replace('"amountTo":200', '"amountTo":1e3'), 400],
    ['amount 10.001', JSON.stringify(valid).replace('"amountTo":200', '"amountTo":10.001'), 400],
    ['amount -5', JSON.stringify({ ...valid, amountTo: -5 }), 400],
    ['amount 0', JSON.stringify({ ...valid, amountTo: 0 }), 400],
    ['amount "abc"', JSON.stringify({ ...valid, amountTo: 'abc' }), 400],
    ['amount "NaN"', JSON.stringify({ ...valid, amountTo: 'NaN' }), 400],
    ['an absurd amount', JSON.stringify({ ...valid, amountTo: '99999999999999999' }), 400],
    ['a 19-digit id', JSON.stringify(valid).replace('"agentTransactionId":77', '"agentTransactionId":1234567890123456789'), 400],
    ['a fractional id', JSON.stringify(valid).replace('"agentTransactionId":77', '"agentTransactionId":77.5'), 400],
  ])('pay with %s → 202', async (_name, body, status) => {
    const before = await paymentsCount();
    const answer = await api('pay', body);
    expect(answer.status).toBe(status);
    expect(answer.body.result && String((answer.body.result as { value: string }).value)).toBe('202');
    expect(typeof answer.body.resultMessage).toBe('string');
    expect(answer.text).not.toMatch(/at .*\.ts|stack/i);
    expect(await paymentsCount()).toBe(before);
  });

  it('a body over 64 KiB → 413 with 202', async () => {
    const answer = await api('pay', JSON.stringify({ ...valid, account: 'x'.repeat(70 * 1024) }));
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.text).result).toBe(202);
  });

  it('a wrong content type → 415 with 202', async () => {
    const response = await fetch(`${h.url}/api/v20/pay`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, body: JSON.stringify(valid) });
    expect(response.status).toBe(415);
    expect((await response.json()) as unknown).toEqual({ result: 202, resultMessage: 'Content-Type must be application/json' });
  });

  it('an unknown path → 404 with 202; a GET → 404 with 202', async () => {
    const unknown = await api('refund', '{}');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.text).result).toBe(202);
    const get = await fetch(`${h.url}/api/v20/pay`, { headers: { authorization: `Bearer ${token}` } });
    expect(get.status).toBe(404);
    expect(((await get.json()) as { result: number }).result).toBe(202);
  });

  it('text/json is accepted as the spec lists it', async () => {
    const answer = await post(`${h.url}/api/v20/balance`, '{}', { authorization: `Bearer ${token}`, 'content-type': 'text/json' });
    expect(answer.status).toBe(200);
  });

  it('writes nothing to the ledger for refused requests', async () => {
    await expectLedgerBalanced(h.db);
    const transfers = await h.db.query<{ n: bigint }>(`SELECT count(*) AS n FROM ledger_transfers WHERE kind <> 'single'`);
    expect(transfers.rows[0]!.n).toBe(0n);
  });
});

describe('authentication', () => {
  const balance = (headers: Record<string, string>) => post(`${h.url}/api/v20/balance`, '{}', headers);

  it('no credentials, a malformed header, an unknown token → 401 with 150', async () => {
    for (const headers of [{}, { authorization: 'Basic abc' }, { authorization: 'Bearer nope' }] as Record<string, string>[]) {
      const answer = await balance(headers);
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.text).result).toBe(150);
    }
  });

  it('a token is usable only once confirmed, and not after revocation', async () => {
    const agent = await createAgent(h.db, { name: 'Tokens', currency: 'KZT' });
    const pending = agent.token!;
    expect((await balance({ authorization: `Bearer ${pending}` })).status).toBe(401);
    expect(JSON.parse((await balance({ authorization: `Bearer ${pending}` })).text).resultMessage).toMatch(/confirmation/);
    const [info] = await listTokens(h.db, agent.agent.id);
    expect(await confirmToken(h.db, info!.id)).toBe(true);
    expect((await balance({ authorization: `Bearer ${pending}` })).status).toBe(200);
    expect(await revokeToken(h.db, info!.id)).toBe(true);
    expect(await confirmToken(h.db, info!.id)).toBe(false);
    expect(JSON.parse((await balance({ authorization: `Bearer ${pending}` })).text)).toEqual({ result: 150, resultMessage: 'Token has been revoked' });
    const stored = await h.db.query<{ token_sha256: string }>('SELECT token_sha256 FROM agent_tokens WHERE agent_id = $1', [agent.agent.id]);
    expect(stored.rows[0]!.token_sha256).not.toContain(pending);
    expect(stored.rows[0]!.token_sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('an agent with an IP allow-list is refused from any other address', async () => {
    const elsewhere = await createAgent(h.db, { name: 'Elsewhere', currency: 'KZT', ipAllow: ['10.1.2.0/24'], confirmToken: true });
    const answer = await balance({ authorization: `Bearer ${elsewhere.token}` });
    expect(answer.status).toBe(401);
    const here = await createAgent(h.db, { name: 'Here', currency: 'KZT', ipAllow: ['127.0.0.0/8', '::1/128'], confirmToken: true });
    expect((await balance({ authorization: `Bearer ${here.token}` })).status).toBe(200);
  });

  it('an IP-only agent needs no token', async () => {
    const ipOnly = await createAgent(h.db, { name: 'Terminal network', currency: 'KZT', ipAllow: ['127.0.0.1/32', '::1/128', '::ffff:127.0.0.1/128'], ipOnly: true, issueToken: false });
    const answer = await balance({});
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text).agent.agentId).toBe(Number(ipOnly.agent.id));
  });

  it('refuses an allow-list that is not an address', async () => {
    await expect(createAgent(h.db, { name: 'Bad', currency: 'KZT', ipAllow: ['not-an-ip'] })).rejects.toThrow(/invalid IP/);
  });

  it('issues further tokens for an agent', async () => {
    const agent = await createAgent(h.db, { name: 'Two tokens', currency: 'KZT', confirmToken: true });
    const second = await issueToken(h.db, agent.agent.id, true);
    expect((await balance({ authorization: `Bearer ${second}` })).status).toBe(200);
    expect((await listTokens(h.db, agent.agent.id)).map((t) => t.status)).toEqual(['confirmed', 'confirmed']);
  });
});

describe('operations endpoints', () => {
  it('health, ready and Prometheus metrics', async () => {
    expect((await fetch(`${h.url}/health`)).status).toBe(200);
    expect(await (await fetch(`${h.url}/ready`)).json()).toMatchObject({ status: 'ready' });
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toContain('tolem_http_requests_total');
    expect(metrics).toContain('tolem_http_request_duration_seconds');
    expect(metrics).toContain('tolem_payments_accepted_total');
  });
});
