/**
 * The Elsom merchant simulator's callback faults, as the chaos campaign uses them: a share of callbacks duplicated
 * (`callbackDuplicateRate`), copies delayed by a random jitter, callbacks lost, several partner addresses
 * (`callbackUrls`, every attempt to one of them), and the per-payment counts the campaign reports. Callbacks go over
 * real HTTP to a listener on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clockAt, eventually } from '../../helpers/harness.ts';
import { encodeElsomIaInit, encodeElsomPaymentResultAnswer } from '../../../src/acquiring/elsom-merchant/codec.ts';
import { ELSOM_MERCHANT_SANDBOX_ACCOUNT as ACCOUNT } from '../../../src/sandbox/elsom-merchant/account.ts';
import { elsomMerchantSandboxRoutes } from '../../../src/sandbox/elsom-merchant/routes.ts';
import { ElsomMerchantSimulator, type WalletPayment } from '../../../src/sandbox/elsom-merchant/simulator.ts';

interface Listener {
  server: Server;
  url: string;
  received: { at: number; partnerTrnId: string }[];
  /** Answer 500 (a dead instance) instead of accepting. */
  failing: boolean;
}

async function listen(): Promise<Listener> {
  const listener: Listener = { server: createServer(), url: '', received: [], failing: false };
  listener.server.on('request', (request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      listener.received.push({ at: Date.now(), partnerTrnId: /"PartnerTrnID"\s*:\s*"(\d+)"/.exec(body)?.[1] ?? '' });
      if (listener.failing) return void response.writeHead(500).end('down');
      response.writeHead(200, { 'content-type': 'application/json' }).end(encodeElsomPaymentResultAnswer());
    });
  });
  await new Promise<void>((resolve) => listener.server.listen(0, '127.0.0.1', resolve));
  listener.url = `http://127.0.0.1:${(listener.server.address() as AddressInfo).port}/pay/elsom/callback`;
  return listener;
}

let first: Listener;
let second: Listener;
beforeAll(async () => {
  first = await listen();
  second = await listen();
});
afterAll(async () => {
  for (const listener of [first, second]) await new Promise((resolve) => listener.server.close(resolve));
});

let nextTrn = 9_100_000;
/** A simulator whose callbacks go to the listeners, and one payment made on its OTP page (status A). */
function paidPayment(simulator: ElsomMerchantSimulator): WalletPayment {
  const partnerTrnId = String((nextTrn += 1));
  const body = encodeElsomIaInit({
    IA_Init: {
      CultureInfo: 'ru-RU', MSISDN: '0', PmSISDN: ACCOUNT.merchantWallet, PartnerCode: ACCOUNT.partnerCode, Password: ACCOUNT.password,
      ChequeNo: '1', PartnerTrnID: partnerTrnId, Amount: '150.00', CashierNo: '1', UDF: '',
    },
  });
  expect(simulator.iaInit(ACCOUNT.tenantId, body).success).toBe(true);
  const payment = [...simulator.payments.values()].find((candidate) => candidate.partnerTrnId === partnerTrnId)!;
  expect(simulator.submit(payment, new URLSearchParams({ wallet: '0555123456', otp: '1234', action: 'pay' }))).toBeUndefined();
  expect(payment.status).toBe('A');
  return payment;
}

function simulator(faults: Partial<ElsomMerchantSimulator['faults']>): ElsomMerchantSimulator {
  const sim = new ElsomMerchantSimulator({ clock: clockAt('2026-11-22T10:00:00Z'), publicBase: () => 'http://127.0.0.1:9', selfBase: () => 'http://127.0.0.1:9' });
  sim.faults = { ...sim.faults, callbackDelayMs: 0, ...faults };
  return sim;
}

const receivedFor = (payment: WalletPayment) => [...first.received, ...second.received].filter((r) => r.partnerTrnId === payment.partnerTrnId);

describe('Elsom merchant simulator: callback faults', () => {
  it('duplicates every callback at rate 1, and counts the extra copy', async () => {
    const payment = paidPayment(simulator({ callbackUrls: [first.url], callbackDuplicateRate: 1 }));
    await eventually(async () => (payment.callbacksAccepted === 2 ? true : undefined));
    expect(receivedFor(payment)).toHaveLength(2);
    expect(payment).toMatchObject({ callbacksDuplicated: 1, callbacksLost: 0, callbacksUndelivered: 0 });
  });

  it('never duplicates at rate 0', async () => {
    const payment = paidPayment(simulator({ callbackUrls: [first.url], callbackDuplicateRate: 0 }));
    await eventually(async () => (payment.callbacksAccepted === 1 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(receivedFor(payment)).toHaveLength(1);
    expect(payment.callbacksDuplicated).toBe(0);
  });

  it('loses every copy at loss rate 1 and counts them; nothing reaches the partner', async () => {
    const payment = paidPayment(simulator({ callbackUrls: [first.url], callbackDuplicates: 2, callbackLossRate: 1 }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receivedFor(payment)).toHaveLength(0);
    expect(payment).toMatchObject({ callbacksDuplicated: 2, callbacksLost: 3, callbacksSent: 0 });
  });

  it('spreads its attempts over every callback URL', async () => {
    const payments = Array.from({ length: 4 }, () => paidPayment(simulator({ callbackUrls: [first.url, second.url], callbackDuplicates: 4 })));
    await eventually(async () => (payments.every((payment) => payment.callbacksAccepted === 5) ? true : undefined));
    const ids = new Set(payments.map((payment) => payment.partnerTrnId));
    // 20 copies at random over two listeners: each gets some (all on one side: 2 × 2^-20).
    expect(first.received.filter((r) => ids.has(r.partnerTrnId)).length).toBeGreaterThan(0);
    expect(second.received.filter((r) => ids.has(r.partnerTrnId)).length).toBeGreaterThan(0);
  });

  it('delays copies by a random jitter, so that they arrive apart', async () => {
    const sent = Date.now();
    const payment = paidPayment(simulator({ callbackUrls: [first.url], callbackDuplicates: 5, callbackJitterMs: 1_500 }));
    await eventually(async () => (payment.callbacksAccepted === 6 ? true : undefined));
    const times = receivedFor(payment).map((r) => r.at - sent);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(50);
    expect(Math.max(...times)).toBeLessThan(1_500 + 1_000);
  });

  it('counts a callback no address accepted after every attempt as undelivered', async () => {
    second.failing = true;
    try {
      const payment = paidPayment(simulator({ callbackUrls: [second.url] }));
      await eventually(async () => (payment.callbacksUndelivered === 1 ? true : undefined), 10_000);
      expect(payment).toMatchObject({ callbacksSent: 3, callbacksAccepted: 0 });
    } finally {
      second.failing = false;
    }
  });
});

describe('Elsom merchant sandbox: the new knobs on /faults', () => {
  it('takes callbackDuplicateRate, callbackJitterMs and callbackUrls, and refuses them out of range', async () => {
    const app = Fastify();
    await app.register(elsomMerchantSandboxRoutes, { prefix: '/sandbox/elsom-merchant', clock: clockAt('2026-11-22T10:00:00Z'), host: '127.0.0.1', controlAllow: ['127.0.0.0/8'], publicBase: () => 'http://127.0.0.1:9' });
    try {
      const put = (body: unknown) => app.inject({ method: 'PUT', url: '/sandbox/elsom-merchant/faults', payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
      const ok = await put({ callbackDuplicateRate: 0.3, callbackJitterMs: 2_000, callbackUrls: [first.url, second.url] });
      expect(ok.statusCode, ok.body).toBe(200);
      expect(JSON.parse(ok.body)).toMatchObject({ callbackDuplicateRate: 0.3, callbackJitterMs: 2_000, callbackUrls: [first.url, second.url] });
      for (const bad of [{ callbackDuplicateRate: 1.5 }, { callbackJitterMs: -1 }, { callbackUrls: ['not a url'] }]) expect((await put(bad)).statusCode).toBe(400);
      const reset = await app.inject({ method: 'DELETE', url: '/sandbox/elsom-merchant/faults' });
      expect(JSON.parse(reset.body)).toMatchObject({ callbackDuplicateRate: 0, callbackJitterMs: 0 });
    } finally {
      await app.close();
    }
  });
});
