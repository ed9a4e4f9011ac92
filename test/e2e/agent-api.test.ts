import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeAgentJson } from '../../src/gateways/agent-api/codec.ts';
import { agentApi, expectLedgerBalanced, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';

/**
 * Every endpoint and variant of the agent API v20 over real HTTP, against the sandbox providers, with the exact
 * answers asserted. The spec's own example payloads are sent byte for byte where they fit the catalog.
 */
const fixture = (name: string) => readFileSync(new URL(`../fixtures/agent-api/${name}`, import.meta.url), 'utf8');
/** The printed examples use no-break spaces inside strings too ("Сумма к оплате"); our catalog has plain ones. */
const printed = (name: string) => fixture(name).replaceAll('\u00a0', ' ');

let h: Harness;
let api: ReturnType<typeof agentApi>;
let agentId: bigint;
let nextId = 900_000_000_000_000_000n;
const txn = () => (nextId += 1n).toString();

beforeAll(async () => {
  h = await startTolem();
  const agent = await newAgent(h.db, { name: 'Наименоване Агента', openingBalanceMinor: 50_945_590n, notificationMinor: 1_000_000n });
  agentId = agent.id;
  api = agentApi(h.url, agent.token);
});
afterEach(async () => expectLedgerBalanced(h.db));
afterAll(async () => h?.close());

function body(overrides: Record<string, unknown>, id = txn()): string {
  const base = { serviceId: 'P1011', account: '7770017711', agentTransactionId: '__ID__', agentTransactionDate: '2015-02-17T16:48:37', amountTo: '__200__', amountFrom: '__200__', ...overrides };
  // Numbers exactly as an agent writes them: the id and the amounts as JSON number tokens.
  return JSON.stringify(base).replace('"__ID__"', id).replaceAll('"__200__"', '200.00');
}

describe('services and service', () => {
  it('lists the services of the agent under the key "services", the spec example entry for P1012 exactly', async () => {
    const answer = await api('services');
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('"services":');
    const services = answer.body.services as Record<string, unknown>[];
    expect(services.map((s) => s.serviceId)).toEqual(['P0005', 'P0006', 'P0007', 'P1011', 'P1012', 'P1013', 'P2001']);
    const example = (decodeAgentJson(printed('services.response.json')) as Record<string, Record<string, unknown>[]>)['serviсes']!;
    const p1012 = JSON.parse(JSON.stringify(example.find((s) => s.serviceId === 'P1012'), (_k, v) => (v?.isLosslessNumber ? Number(v.value) : v)));
    expect(JSON.parse(answer.text).services.find((s: { serviceId: string }) => s.serviceId === 'P1012')).toEqual(p1012);
    expect(JSON.parse(answer.text).services.find((s: { serviceId: string }) => s.serviceId === 'P0005')).toEqual(
      JSON.parse(JSON.stringify(example.find((s) => s.serviceId === 'P0005'), (_k, v) => (v?.isLosslessNumber ? Number(v.value) : v))),
    );
  });

  it('answers one service for the spec example request', async () => {
    const answer = await api('service', fixture('service.request.json'));
    expect(answer.status).toBe(200);
    const expected = JSON.parse(JSON.stringify(decodeAgentJson(printed('service.response.json')), (_k, v) => (v?.isLosslessNumber ? Number(v.value) : v)));
    expect(JSON.parse(answer.text)).toEqual({ result: 0, resultMessage: 'OK', services: expected['serviсes'] });
  });

  it('answers 130 for an unknown service', async () => {
    expect(JSON.parse((await api('service', '{"serviceId":"NOPE"}')).text)).toEqual({ result: 130, resultMessage: 'Unknown serviceId' });
  });
});

describe('balance', () => {
  it('answers the spec shape with exact amounts', async () => {
    const answer = await api('balance');
    expect(answer.text).toBe(`{"result":0,"resultMessage":"Успешно","agent":{"agentId":${agentId},"agentName":"Наименоване Агента","balance":509455.90,"overdraft":0.00,"notification":10000.00,"currency":"KZT"}}`);
  });
});

describe('check', () => {
  it('plain: the spec example', async () => {
    const answer = await api('check', fixture('check.request.json'));
    expect(Object.keys(answer.body)).toEqual(['result', 'resultMessage', 'transactionId', 'agentTransactionId']);
    expect(num(answer.body.result)).toBe('0');
    expect(num(answer.body.transactionId)).toMatch(/^\d{18}$/);
    expect(num(answer.body.agentTransactionId)).toBe('1233355');
  });

  it('with identityCard and fullName', async () => {
    const answer = await api('check', body({ identityCard: '123456789', fullName: 'Иванов Иван Иванович' }));
    expect(num(answer.body.result)).toBe('0');
  });

  it('with extras: the spec example has account "0", which P1012 refuses as a bad format (4)', async () => {
    const answer = await api('check', fixture('check-extras.request.json').replace('1233355', txn()));
    expect(num(answer.body.result)).toBe('4');
    expect(answer.body.transactionId).toBeUndefined();
  });

  it('with extras and displays: P1012 shows the provider data', async () => {
    const answer = await api('check', body({ serviceId: 'P1012', account: '1234567890', extras: { account1: '0000000001', account2: '121231' } }));
    expect(num(answer.body.result)).toBe('0');
    expect(answer.body.displays).toEqual({ fio: 'Test fio', info: 'Сумма к оплате 20000.00 тенге', fixedAmount: '20000.00' });
  });

  it('international: currencyRate, rate, finalAmount, currency', async () => {
    const answer = await api('check', body({ serviceId: 'P2001', account: '12025550123', amountTo: '__840__', amountFrom: '__840__' }).replaceAll('"__840__"', '840.00'));
    expect(num(answer.body.result)).toBe('0');
    expect(answer.body.currencyRate).toBe('Курс конвертации KZT/USD 0.0021');
    expect(num(answer.body.rate)).toBe('0.0020833333');
    expect(num(answer.body.finalAmount)).toBe('1.74');
    expect(answer.body.currency).toBe('USD');
  });

  it('with choice: contracts to choose from', async () => {
    const answer = await api('check', body({ serviceId: 'P0006', account: '870101300588' }));
    expect(num(answer.body.result)).toBe('0');
    expect(answer.body.contracts).toEqual([
      { name: 'Петров', contractId: '000588587', contractNumber: '1/00-Ф', contractSum: '1000.00', contractDate: '20200215000000' },
      { name: 'Петров', contractId: '000588588', contractNumber: '2/00-Ф', contractSum: '2000.00', contractDate: '20200216000000' },
      { name: 'Петров', contractId: '000588589', contractNumber: '3/00-Ф', contractSum: '3000.00', contractDate: '20200217000000' },
    ]);
  });

  it('complex: the invoice with every field of the spec', async () => {
    const answer = await api('check', body({ serviceId: 'P0007', account: '3535444000' }));
    expect(num(answer.body.result)).toBe('0');
    const invoice = JSON.parse(answer.text).invoice;
    const example = JSON.parse(fixture('check-invoice.response.json').replaceAll('\u00a0', ' ')).invoice;
    expect(Object.keys(invoice.invoices[0])).toEqual(Object.keys(example.invoices[0]));
    expect(Object.keys(invoice.invoices[0].services[0].data)).toEqual(Object.keys(example.invoices[0].services[0].data));
    expect(invoice.invoices[0].services.map((s: { data: { paySum: number } }) => s.data.paySum)).toEqual([359.8, 80, 925.2]);
    expect(invoice.invoices[0].clientName).toBe('Иванов Иван Иванович');
  });

  it('refuses: unknown service 130, bad account 4, not found 5, provider forbids 7, amount limits 241/242', async () => {
    const codes = await Promise.all([
      api('check', body({ serviceId: 'X' })),
      api('check', body({ account: '12345' })),
      api('check', body({ account: '7770000000' })),
      api('check', body({ account: '7770000007' })),
      api('check', body({ amountTo: '10.00', amountFrom: '10.00' })),
      api('check', body({ amountTo: '150000.01', amountFrom: '150000.01' })),
    ]);
    expect(codes.map((a) => num(a.body.result))).toEqual(['130', '4', '5', '7', '241', '242']);
  });

  it('repeats the same answer for the same check, and 215 for another body with the same id', async () => {
    const id = txn();
    const first = await api('check', body({}, id));
    const again = await api('check', body({}, id));
    expect(again.text).toBe(first.text);
    const other = await api('check', body({ account: '7770017799' }, id));
    expect(num(other.body.result)).toBe('215');
  });
});

describe('pay', () => {
  it('simple: check then pay with the same id are one transaction, with transactionDate and statusDate', async () => {
    const id = txn();
    const check = await api('check', body({}, id));
    const pay = await api('pay', body({}, id));
    expect(Object.keys(pay.body)).toEqual(['result', 'resultMessage', 'transactionId', 'transactionDate', 'statusDate', 'agentTransactionId']);
    expect(num(pay.body.result)).toBe('0');
    expect(num(pay.body.transactionId)).toBe(num(check.body.transactionId));
    expect(num(pay.body.agentTransactionId)).toBe(id);
    expect(pay.body.transactionDate).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$/);
    expect(pay.body.statusDate).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$/);
  });

  it('the spec example, without a prior check', async () => {
    const pay = await api('pay', fixture('pay.request.json'));
    expect(num(pay.body.result)).toBe('0');
    expect(num(pay.body.agentTransactionId)).toBe('1233355');
  });

  it('with extras: the spec example (P1011 with account1/account2)', async () => {
    const pay = await api('pay', fixture('pay-extras.request.json').replace('1233355', txn()));
    expect(num(pay.body.result)).toBe('0');
  });

  it('with choice: contractId from the contracts of check', async () => {
    const id = txn();
    await api('check', body({ serviceId: 'P0006', account: '870101300588' }, id));
    const wrong = await api('pay', body({ serviceId: 'P0006', account: '870101300588', extras: { contractId: '000000588' } }, id));
    expect(num(wrong.body.result)).toBe('202');
    const pay = await api('pay', body({ serviceId: 'P0006', account: '870101300588', extras: { contractId: '000588588' } }, id));
    expect(num(pay.body.result)).toBe('0');
    expect((pay.body.contracts as unknown[]).length).toBe(3);
  });

  it('complex: extraServices with a meter reading, summing to amountTo', async () => {
    const id = txn();
    await api('check', body({ serviceId: 'P0007', account: '3535444000' }, id));
    const lines = '[{"subServiceId":"36","lastCount":"4900","amount":359.80},{"subServiceId":"2","amount":925.20}]';
    const bad = await api('pay', body({ serviceId: 'P0007', account: '3535444000', amountTo: '__X__', amountFrom: '__X__', extraServices: '__L__' }, id)
      .replaceAll('"__X__"', '1000.00').replace('"__L__"', lines));
    expect(num(bad.body.result)).toBe('202');
    const below = await api('pay', body({ serviceId: 'P0007', account: '3535444000', amountTo: '__X__', amountFrom: '__X__', extraServices: '__L__' }, id)
      .replaceAll('"__X__"', '1285.00').replace('"__L__"', lines.replace('4900', '4000')));
    expect(num(below.body.result)).toBe('202');
    const pay = await api('pay', body({ serviceId: 'P0007', account: '3535444000', amountTo: '__X__', amountFrom: '__X__', extraServices: '__L__' }, id)
      .replaceAll('"__X__"', '1285.00').replace('"__L__"', lines));
    expect(num(pay.body.result)).toBe('0');
    expect(pay.body.invoice).toBeDefined();
  });

  it('the spec\'s complex example on a simple service is refused (202): extraServices are for type 1', async () => {
    const pay = await api('pay', fixture('pay-complex.request.json').replace('1233355', txn()));
    expect(num(pay.body.result)).toBe('202');
  });

  it('fee rule: amountFrom − amountTo beyond 5% of P1011 is 255 (temporary), within it is accepted', async () => {
    const tooMuch = await api('pay', body({ amountFrom: '__F__' }).replace('"__F__"', '211.00'));
    expect(num(tooMuch.body.result)).toBe('255');
    const fine = await api('pay', body({ amountFrom: '__F__' }).replace('"__F__"', '210.00'));
    expect(num(fine.body.result)).toBe('0');
  });

  it('provider refusal after acceptance is final 300 and gives the money back', async () => {
    const before = JSON.parse((await api('balance')).text).agent.balance;
    const pay = await api('pay', body({ account: '7770000009' }));
    expect(num(pay.body.result)).toBe('300');
    expect(pay.body.statusDate).toBeDefined();
    expect(JSON.parse((await api('balance')).text).agent.balance).toBe(before);
  });

  it('a repeated pay answers the stored outcome; a changed body is 215 once final', async () => {
    const id = txn();
    const first = await api('pay', body({}, id));
    const again = await api('pay', body({}, id));
    expect(again.text).toBe(first.text);
    const changed = await api('pay', body({ account: '7770017712' }, id));
    expect(changed.text).toBe(`{"result":215,"resultMessage":"account differs from the stored payment","agentTransactionId":${id}}`);
  });

  it('debits the agent by amountTo exactly', async () => {
    const balance = async () => BigInt(num((decodeAgentJson((await api('balance')).text) as { agent: { balance: unknown } }).agent.balance).replace('.', ''));
    const before = await balance();
    await api('pay', body({ amountTo: '__A__', amountFrom: '__A__' }).replaceAll('"__A__"', '123.45'));
    expect(before - (await balance())).toBe(12345n);
  });
});

describe('operatorByPhone', () => {
  it('the spec example, a ported number, a prefix, an unknown number', async () => {
    expect(JSON.parse((await api('operatorByPhone', fixture('operatorByPhone.request.json'))).text)).toEqual({ result: 0, resultMessage: 'ok', serviceId: 'P1011' });
    expect(JSON.parse((await api('operatorByPhone', '{"phoneNumber":"7012345678"}')).text).serviceId).toBe('P1011');
    expect(JSON.parse((await api('operatorByPhone', '{"phoneNumber":"7011111111"}')).text).serviceId).toBe('P1013');
    expect(JSON.parse((await api('operatorByPhone', '{"phoneNumber":"7990000000"}')).text).result).toBe(5);
    expect(JSON.parse((await api('operatorByPhone', '{"phoneNumber":"abc"}')).text).result).toBe(202);
  });
});

describe('docs', () => {
  it('serves an OpenAPI 3.1 document generated from the request schemas', async () => {
    const response = await fetch(`${h.url}/docs/json`);
    expect(response.status).toBe(200);
    const doc = (await response.json()) as Record<string, any>;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/api/v20/pay'].post.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/PayRequest' });
    const pay = doc.components.schemas.PayRequest;
    expect(pay.required).toEqual(expect.arrayContaining(['serviceId', 'account', 'agentTransactionId', 'agentTransactionDate', 'amountTo']));
    expect(pay.properties.agentTransactionId.type).toBe('integer');
    expect(pay.properties.amountTo.type).toEqual(['number', 'string']);
    expect(pay.properties.extraServices.type).toBe('array');
    const html = await fetch(`${h.url}/docs`);
    expect(html.status).toBe(200);
  });
});
