import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent } from '../../src/engine/agents.ts';
import { agentApi, newAgent, post, startTolem, type Harness } from '../helpers/harness.ts';

/**
 * Edges that must not give way (issue 8, item 5): malformed credentials are refused, never read as "no credentials";
 * impossible dates and reserved extras names are refused; no answer carries the runtime's own error text.
 */
let h: Harness;
let api: ReturnType<typeof agentApi>;

beforeAll(async () => {
  h = await startTolem({ jobs: false });
  api = agentApi(h.url, (await newAgent(h.db)).token);
  // An IP-only agent on the loopback address: a request that is read as "no credentials" would be let in as this one.
  await createAgent(h.db, { name: 'Loopback terminals', currency: 'KZT', ipAllow: ['127.0.0.1/32', '::1/128', '::ffff:127.0.0.1/128'], ipOnly: true, issueToken: false });
});
afterAll(async () => h?.close());

async function paymentsCount(): Promise<number> {
  return Number((await h.db.query<{ n: bigint }>('SELECT count(*) AS n FROM payments')).rows[0]!.n);
}

const valid = { serviceId: 'P1011', account: '7770017711', agentTransactionId: 91, agentTransactionDate: '2015-02-17T16:48:37', amountTo: 200, amountFrom: 200 };

describe('a malformed Authorization header', () => {
  const balance = (authorization: string) => post(`${h.url}/api/v20/balance`, '{}', { authorization });

  it('without a header at all the IP-only agent is let in (the control case)', async () => {
    expect((await post(`${h.url}/api/v20/balance`, '{}')).status).toBe(200);
  });

  it.each([
    ['Basic credentials', 'Basic YWdlbnQ6c2VjcmV0'],
    ['an empty Bearer', 'Bearer '],
    ['Bearer alone', 'Bearer'],
    ['an over-long token', `Bearer ${'a'.repeat(5_000)}`],
    ['two tokens', 'Bearer one two'],
  ])('%s → 401 with 150, not the IP-only agent', async (_name, authorization) => {
    const answer = await balance(authorization);
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.text)).toEqual({ result: 150, resultMessage: 'Malformed Authorization header: expected Authorization: Bearer <token>' });
  });
});

describe('impossible values', () => {
  it.each([
    ['9999-99-99T99:99:99'],
    ['2026-02-29T10:00:00'],
    ['2026-04-31T10:00:00'],
    ['2026-01-01T24:00:00'],
    ['2026-01-01T10:60:00'],
  ])('agentTransactionDate %s → 202, nothing written', async (date) => {
    const before = await paymentsCount();
    const answer = await api('pay', { ...valid, agentTransactionDate: date });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toEqual({ result: 202, resultMessage: 'agentTransactionDate: Not a real date and time' });
    expect(await paymentsCount()).toBe(before);
  });

  it('a leap day is a real date', async () => {
    const answer = await api('check', { ...valid, agentTransactionId: 92, agentTransactionDate: '2028-02-29T23:59:59' });
    expect(JSON.parse(answer.text).result).toBe(0);
  });

  it.each([['__proto__'], ['constructor'], ['prototype']])('extras named %s → 202, nothing written', async (name) => {
    const before = await paymentsCount();
    const body = JSON.stringify({ ...valid, agentTransactionId: 93 }).replace(/}$/, `,"extras":{"${name}":"1","account1":"x"}}`);
    const answer = await api('pay', body);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toEqual({ result: 202, resultMessage: `extras: "${name}" is not allowed as an extras name` });
    expect(await paymentsCount()).toBe(before);
  });
});

describe('no runtime error text in answers', () => {
  it('a body nested beyond the stack → 202 in our own words', async () => {
    const answer = await api('pay', '['.repeat(30_000));
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toEqual({ result: 202, resultMessage: 'Malformed JSON: nested too deeply' });
  });

  it('a syntax error keeps only its position', async () => {
    const answer = await api('pay', '{"serviceId":');
    expect(JSON.parse(answer.text)).toEqual({ result: 202, resultMessage: 'Malformed JSON at position 13' });
  });

});
