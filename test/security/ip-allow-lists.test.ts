/**
 * IP allow-lists hold on every surface that has one: an agent's addresses (with a token, and IP-only agents), an Elsom
 * terminal's, the Elsom merchant callbacks' (ELSOM_MERCHANT_CALLBACK_IPS) and the sandbox control routes'
 * (SANDBOX_CONTROL_ALLOW). Addresses are set with X-Forwarded-For on an instance that trusts its proxy (TRUST_PROXY);
 * on one that does not, the same header changes nothing. The cabinet's own IP page is covered in cabinet-access.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent } from '../../src/engine/agents.ts';
import { encodeElsomPaymentResult } from '../../src/acquiring/elsom-merchant/codec.ts';
import { newAgent, num, post, startTolem, type Harness } from '../helpers/harness.ts';
import { newElsomAgent, transferXml, txn } from '../helpers/elsom.ts';
import { decodeElsomResponse } from '../../src/gateways/elsom-biller/codec/index.ts';

let h: Harness;
let direct: Harness;
let fenced: { token: string };

beforeAll(async () => {
  h = await startTolem({ jobs: false, config: { trustProxy: true } });
  direct = await startTolem({ jobs: false, config: { trustProxy: false } });
  const created = await createAgent(h.db, { name: 'Fenced', currency: 'KZT', ipAllow: ['10.9.0.0/16'], confirmToken: true, openingBalanceMinor: 1_000_000n });
  fenced = { token: created.token! };
});
afterAll(async () => {
  await h?.close();
  await direct?.close();
});

const balance = (url: string, from: string | undefined, token?: string) =>
  post(`${url}/api/v20/balance`, '{}', { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(from ? { 'x-forwarded-for': from } : {}) });

describe('agent API', () => {
  it('a token is accepted from its agent\'s addresses only', async () => {
    expect((await balance(h.url, '10.9.1.1', fenced.token)).status).toBe(200);
    const outside = await balance(h.url, '10.8.1.1', fenced.token);
    expect(outside.status).toBe(401);
    expect(num(outside.body.result)).toBe('150');
    expect(outside.text).not.toContain('Fenced');
  });

  it('an IP-only agent is found by its address alone, and two behind one address are refused rather than guessed', async () => {
    await createAgent(h.db, { name: 'By address', currency: 'KZT', ipAllow: ['10.20.0.5/32'], ipOnly: true, issueToken: false, openingBalanceMinor: 500_000n });
    const inside = await balance(h.url, '10.20.0.5');
    expect(inside.status).toBe(200);
    expect(inside.text).toContain('5000.00');
    expect((await balance(h.url, '10.20.0.6')).status).toBe(401);
    await createAgent(h.db, { name: 'Same address', currency: 'KZT', ipAllow: ['10.20.0.0/24'], ipOnly: true, issueToken: false });
    expect((await balance(h.url, '10.20.0.5')).status).toBe(401);
  });

  it('without TRUST_PROXY, X-Forwarded-For names no address: the allow-list sees the socket\'s', async () => {
    const created = await createAgent(direct.db, { name: 'Fenced here', currency: 'KZT', ipAllow: ['10.9.0.0/16'], confirmToken: true });
    expect((await balance(direct.url, '10.9.1.1', created.token!)).status).toBe(401);
    const loopback = await newAgent(direct.db, { ipAllow: ['127.0.0.1/32', '::1/128', '::ffff:127.0.0.1/128'] });
    expect((await balance(direct.url, '10.9.1.1', loopback.token)).status).toBe(200);
  });
});

describe('Elsom biller gateway', () => {
  it('a terminal is accepted from its addresses only', async () => {
    await newElsomAgent(h.db, { terminalId: '1850', ipAllow: ['10.1.2.0/24'] });
    const from = async (address: string) => {
      const response = await fetch(`${h.url}/elsom`, { method: 'POST', headers: { 'content-type': 'text/xml', 'x-forwarded-for': address }, body: transferXml({ transactionNumber: txn(), terminalId: '1850' }) });
      return resultCode(response);
    };
    expect(await from('10.1.2.3')).toBe(0);
    expect(await from('10.1.3.3')).toBe(150);
  });
});

async function resultCode(response: Response): Promise<number> {
  const decoded = decodeElsomResponse(Buffer.from(await response.arrayBuffer()), response.headers.get('content-type') ?? undefined);
  if (!decoded.ok) throw new Error(decoded.failure.detail);
  return decoded.response.resultCode;
}

describe('Elsom merchant callbacks', () => {
  it('a callback from an address off ELSOM_MERCHANT_CALLBACK_IPS is refused and changes nothing', async () => {
    const body = encodeElsomPaymentResult({ CultureInfo: 'ru-RU', MSISDN: '0555123456', PartnerTrnID: '100000000000000001', PSPTTrnID: 'PSPFORGED', PaymentStatus: 'A' });
    const send = (from: string) => fetch(`${h.url}/pay/elsom/callback`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': from }, body });
    const outside = JSON.parse(await (await send('203.0.113.9')).text()) as { Response: { ErrorCode: string; ErrorMsg: string } };
    const inside = JSON.parse(await (await send('127.0.0.1')).text()) as { Response: { ErrorCode: string; ErrorMsg: string } };
    expect(outside.Response).toEqual({ ErrorCode: '150', ErrorMsg: 'Address not allowed' });
    // From the loopback (on the list) the same forged callback is read, and refused for its unknown order instead.
    expect(inside.Response).toEqual({ ErrorCode: '3', ErrorMsg: 'Unknown PartnerTrnID' });
    const paid = await h.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM checkout_orders WHERE state = 'succeeded'`);
    expect(paid.rows[0]!.n).toBe('0');
  });
});

describe('sandbox control routes', () => {
  it('answer only SANDBOX_CONTROL_ALLOW (loopback by default)', async () => {
    const faults = (from: string) => fetch(`${h.url}/sandbox/assist/faults`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': from }, body: '{}' });
    expect((await faults('203.0.113.9')).status).toBe(403);
    expect((await faults('127.0.0.1')).status).toBe(200);
  });
});
