/**
 * Elsom biller gateway end to end over HTTP: AUTHORIZE → PAYMENT → PAYMENT_LIST → CANCEL_PAYMENT against the sandbox
 * providers and the engine, authentication, amounts, charsets, retries and the attention list.
 */
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clockAt, expectLedgerBalanced, eventually, startTolem, type Harness } from '../helpers/harness.ts';
import { cancelXml, ELSOM_PASSWORD, listXml, newElsomAgent, postElsom, transferXml, txn } from '../helpers/elsom.ts';
import { agentFunds, findAgent, topUp, type Agent } from '../../src/engine/agents.ts';
import { listAttention } from '../../src/engine/attention.ts';
import { formatElsomDateTime, fromElsomLocal, md5Hex, type ElsomResponse } from '../../src/gateways/elsom-biller/codec/index.ts';
import { mapElsomService } from '../../src/engine/terminals.ts';

let h: Harness;
// Thirty seconds past midnight of a new year in Bishkek, still the old year in UTC: Elsom's dates are its wall clock's.
const clock = clockAt('2026-12-31T18:00:30Z');
let url: string;
let agent: Agent;

/** The repository's catalog plus one KGS utility service (the sandbox utility names the holder in Cyrillic). */
function catalogWithKgsUtility(): string {
  const catalog = JSON.parse(readFileSync(new URL('../../config/catalog.json', import.meta.url), 'utf8')) as { services: Record<string, unknown>[] };
  catalog.services.push({
    serviceId: 'K9007', type: 1, name: 'Коммунальные услуги KG (песочница)', group: 'ЖКХ', country: 'КЫРГЫЗСТАН', currency: 'KGS', fixedPayment: false,
    inputs: [{ name: 'account', required: true, title: 'Лицевой счет', regexp: '^\\d{10}$' }],
    minAmount: '1.00', maxAmount: '100000.00', feeRule: { kind: 'any' }, provider: 'sandbox-utility',
  });
  const file = join(mkdtempSync(join(tmpdir(), 'tolem-elsom-')), 'catalog.json');
  writeFileSync(file, JSON.stringify(catalog));
  return file;
}

beforeAll(async () => {
  h = await startTolem({ config: { catalogFile: catalogWithKgsUtility() }, clock });
  url = `${h.url}/elsom`;
  agent = await newElsomAgent(h.db);
  await mapElsomService(h.db, agent.id, { elsomServiceId: '5139', serviceId: 'K9007' });
  await mapElsomService(h.db, agent.id, { elsomServiceId: '6001', serviceId: 'P1011' }); // a KZT service: wrong currency
});
afterAll(async () => h?.close());

const today = () => formatElsomDateTime(new Date(clock.now().getTime() - 3_600_000), 360);
const soon = () => formatElsomDateTime(new Date(clock.now().getTime() + 60_000), 360);
const available = async () => (await agentFunds(h.db, (await findAgent(h.db, agent.id))!)).availableMinor;
const withoutServerTime = ({ serverTime: _serverTime, ...rest }: ElsomResponse) => rest;

describe('Elsom biller: the four requests end to end', () => {
  it('authorizes, pays, lists and cancels a MegaCom top-up, echoing the transaction-number exactly', async () => {
    const number = txn();
    const before = await available();
    const auth = await postElsom(url, transferXml({ transactionNumber: number }));
    expect(auth.status).toBe(200);
    expect(auth.contentType).toBe('text/xml; charset=windows-1251');
    expect(auth.bytes.subarray(0, 45).toString('latin1')).toBe('<?xml version="1.0" encoding="windows-1251"?>');
    const a = auth.response;
    expect(a).toMatchObject({ protocolVersion: '4.00', requestType: 1, terminalId: '1839', resultCode: 0, statusId: 30, transactionNumber: number, remoteAddr: '127.0.0.1' });
    expect(a.operatorId).toBe(agent.id.toString());
    expect(a.txnId).toMatch(/^\d+$/);
    expect(a.balanceMinor).toBe(before);
    expect(a.overdraftMinor).toBe(0n);
    // ServerTime is Elsom's wall clock (UTC+6 by default), not ours.
    expect(Math.abs(fromElsomLocal(a.serverTime!, 360).getTime() - clock.now().getTime())).toBeLessThan(60_000);
    expect(a.to).toEqual({ serviceId: '5132', amountMinor: 1000n, accountNumber: '996701232200' });
    expect(auth.bytes.toString('latin1')).toContain('<amount>10.00</amount>');

    const again = await postElsom(url, transferXml({ transactionNumber: number }));
    expect(again.response.resultCode).toBe(233);

    const pay = await postElsom(url, transferXml({ type: 2, transactionNumber: number }));
    expect(pay.response).toMatchObject({ requestType: 2, resultCode: 0, statusId: 60, transactionNumber: number, txnId: a.txnId });
    expect(pay.response.balanceMinor).toBe(before - 1000n);
    const retry = await postElsom(url, transferXml({ type: 2, transactionNumber: number }));
    expect(withoutServerTime(retry.response)).toEqual(withoutServerTime(pay.response));

    const list = await postElsom(url, listXml(today(), soon()));
    expect(list.response).toMatchObject({ requestType: 4, resultCode: 0, statusId: 60 });
    const row = list.response.rows?.find((candidate) => candidate.transactionNumber === number);
    expect(row).toMatchObject({ transactionNumber: number, accountNumber: '996701232200', amountMinor: 1000n });
    expect(Math.abs(fromElsomLocal(row!.datetime, 360).getTime() - clock.now().getTime())).toBeLessThan(60_000);
    expect(list.bytes.toString('latin1')).toMatch(new RegExp(`<transaction-number>${number}</transaction-number>\\s*<datetime>\\d{2}\\.\\d{2}\\.\\d{4} \\d{2}:\\d{2}:\\d{2}</datetime>`));

    const cancel = await postElsom(url, cancelXml(number));
    expect(cancel.response).toEqual({ protocolVersion: '4.00', requestType: 3, terminalId: '1839', resultCode: 0, statusId: 60, transactionNumber: number });
    expect(await available()).toBe(before);
    const cancelAgain = await postElsom(url, cancelXml(number));
    expect(cancelAgain.response.resultCode).toBe(0);
    const after = await postElsom(url, listXml(today(), soon()));
    expect(after.response.rows?.some((candidate) => candidate.transactionNumber === number)).toBe(false);
    await expectLedgerBalanced(h.db);
  });

  it('cancels an authorised, unpaid payment without moving money, and then refuses to pay it', async () => {
    const number = txn();
    expect((await postElsom(url, transferXml({ transactionNumber: number }))).response.resultCode).toBe(0);
    const cancel = await postElsom(url, cancelXml(number));
    expect(cancel.response.resultCode).toBe(0);
    const pay = await postElsom(url, transferXml({ type: 2, transactionNumber: number }));
    expect(pay.response).toMatchObject({ resultCode: 240, statusId: 160 });
    await expectLedgerBalanced(h.db);
  });

  it('answers CANCEL_PAYMENT for an unknown transaction with 203, and for another service\'s with 203', async () => {
    expect((await postElsom(url, cancelXml('000000000000000001'))).response).toMatchObject({ resultCode: 203, statusId: 160 });
    const number = txn();
    await postElsom(url, transferXml({ transactionNumber: number }));
    expect((await postElsom(url, cancelXml(number, '5133'))).response.resultCode).toBe(203);
  });

  it('shows the account holder\'s Cyrillic name in disp1, readable after windows-1251', async () => {
    const auth = await postElsom(url, transferXml({ transactionNumber: txn(), serviceId: '5139', account: '1234567890' }));
    expect(auth.response).toMatchObject({ resultCode: 0, statusId: 30, disp1: 'Иванов Иван Иванович' });
    expect(auth.bytes.includes(iconv.encode('<extra name="disp1">Иванов Иван Иванович</extra>', 'windows-1251'))).toBe(true);
  });

  it('reads UTF-8 bodies (declaration or Content-Type) and windows-1251 bodies alike', async () => {
    const utf8 = await postElsom(url, Buffer.from(transferXml({ transactionNumber: txn(), encoding: 'UTF-8' }), 'utf8'), 'text/xml');
    expect(utf8.response.resultCode).toBe(0);
    const header = await postElsom(url, Buffer.from(transferXml({ transactionNumber: txn() }).replace(' encoding="windows-1251"', ''), 'utf8'), 'text/xml; charset=utf-8');
    expect(header.response.resultCode).toBe(0);
    const cp1251 = await postElsom(url, iconv.encode(transferXml({ transactionNumber: txn() }), 'windows-1251'), 'text/xml; charset=windows-1251');
    expect(cp1251.response.resultCode).toBe(0);
    expect(utf8.contentType).toBe('text/xml; charset=windows-1251');
  });
});

describe('Elsom biller: authentication and service map', () => {
  it('refuses a wrong password, login, terminal or a malformed MD5 with 150, and accepts the MD5 in upper case', async () => {
    const number = txn();
    for (const fields of [
      { passwordMd5: md5Hex('wrong') },
      { login: 'someone' },
      { terminalId: '9999' },
      { passwordMd5: ELSOM_PASSWORD },
      { passwordMd5: md5Hex(ELSOM_PASSWORD).slice(0, 31) },
    ]) {
      const answer = await postElsom(url, transferXml({ transactionNumber: number, ...fields }));
      expect(answer.response).toMatchObject({ resultCode: 150, statusId: 160 });
    }
    expect((await postElsom(url, transferXml({ transactionNumber: number, passwordMd5: md5Hex(ELSOM_PASSWORD).toUpperCase() }))).response.resultCode).toBe(0);
  });

  it('refuses from an address outside the terminal\'s allow-list', async () => {
    const other = await newElsomAgent(h.db, { terminalId: '1840', ipAllow: ['10.1.2.0/24'] });
    expect(other.id).toBeDefined();
    const answer = await postElsom(url, transferXml({ transactionNumber: txn(), terminalId: '1840' }));
    expect(answer.response.resultCode).toBe(150);
  });

  it('refuses an unknown service-id and a service in another currency with 155', async () => {
    expect((await postElsom(url, transferXml({ transactionNumber: txn(), serviceId: '9999' }))).response).toMatchObject({ resultCode: 155, statusId: 160 });
    expect((await postElsom(url, transferXml({ transactionNumber: txn(), serviceId: '6001', account: '7770017711' }))).response.resultCode).toBe(155);
    expect((await postElsom(url, transferXml({ transactionNumber: txn(), currency: '398' }))).response.resultCode).toBe(155);
    expect((await postElsom(url, listXml(today(), soon(), '9999'))).response.resultCode).toBe(155);
  });
});

describe('Elsom biller: amounts', () => {
  const code = async (fields: Partial<Parameters<typeof transferXml>[0]>) => (await postElsom(url, transferXml({ transactionNumber: txn(), ...fields }))).response;

  it('accepts 10 and 10.5, refuses 0, -1, abc and 10.001 with 275', async () => {
    expect((await code({ amount: '10' })).resultCode).toBe(0);
    const half = await code({ amount: '10.5' });
    expect(half).toMatchObject({ resultCode: 0, to: { amountMinor: 1050n } });
    for (const amount of ['0', '-1', 'abc', '10.001', '1e3']) expect((await code({ amount })).resultCode, amount).toBe(275);
  });

  it('refuses a fraction with 274 where the service takes whole soms, and limits with 241/242', async () => {
    expect((await code({ serviceId: '5133', account: '123456', amount: '10.5' })).resultCode).toBe(274);
    expect((await code({ serviceId: '5133', account: '123456', amount: '11' })).resultCode).toBe(0);
    expect((await code({ amount: '5' })).resultCode).toBe(241);
    expect((await code({ amount: '30000.01' })).resultCode).toBe(242);
  });

  it('pays 10.50 exactly', async () => {
    const number = txn();
    const before = await available();
    await postElsom(url, transferXml({ transactionNumber: number, amount: '10.50' }));
    const pay = await postElsom(url, transferXml({ type: 2, transactionNumber: number, amount: '10.50' }));
    expect(pay.response).toMatchObject({ resultCode: 0, statusId: 60 });
    expect(await available()).toBe(before - 1050n);
  });
});

describe('Elsom biller: PAYMENT is never lost', () => {
  it('answers a retry storm (the same PAYMENT 20 times at once) identically, with one posting', async () => {
    const number = txn();
    const before = await available();
    await postElsom(url, transferXml({ transactionNumber: number, account: '996555000123' }));
    const answers = await Promise.all(Array.from({ length: 20 }, () => postElsom(url, transferXml({ type: 2, transactionNumber: number, account: '996555000123' }))));
    const first = withoutServerTime(answers[0]!.response);
    expect(first).toMatchObject({ resultCode: 0, statusId: 60 });
    for (const answer of answers) expect(withoutServerTime(answer.response)).toEqual(first);
    expect(await available()).toBe(before - 1000n);
    const postings = await h.db.query<{ n: bigint }>(
      `SELECT count(*)::bigint AS n FROM ledger_transfers t JOIN payments p ON p.id = t.payment_id WHERE p.agent_id = $1 AND p.agent_txn_id = $2 AND t.kind = 'post'`,
      [agent.id, BigInt(number)],
    );
    expect(postings.rows[0]!.n).toBe(1n);
    await expectLedgerBalanced(h.db);
  });

  it('answers 220 (non-fatal) while the agent lacks funds, and pays once it is topped up', async () => {
    const poor = await newElsomAgent(h.db, { terminalId: '1841', balanceMinor: 500n });
    const number = txn();
    const pay = () => postElsom(url, transferXml({ type: 2, transactionNumber: number, terminalId: '1841' }));
    expect((await pay()).response).toMatchObject({ resultCode: 220, statusId: 10 });
    await topUp(h.db, poor.id, 10_000n, 'test top-up');
    const paid = await eventually(async () => {
      const answer = await pay();
      return answer.response.resultCode === 0 ? answer.response : undefined;
    }, 20_000, 300);
    expect(paid.statusId).toBe(60);
    await expectLedgerBalanced(h.db);
  }, 30_000);

  it('answers a repeated PAYMENT with another amount with 10 (fatal), naming the fields that differ, and changes nothing', async () => {
    const number = txn();
    await postElsom(url, transferXml({ transactionNumber: number }));
    expect((await postElsom(url, transferXml({ type: 2, transactionNumber: number }))).response).toMatchObject({ resultCode: 0, statusId: 60 });
    const before = await available();
    const other = await postElsom(url, transferXml({ type: 2, transactionNumber: number, amount: '20' }));
    expect(other.response).toMatchObject({ resultCode: 10, transactionNumber: number });
    expect(other.response.extras).toEqual([{ name: 'message', value: 'to/amount, from/amount differ from the stored payment' }]);
    expect(await available()).toBe(before);
    const same = await postElsom(url, transferXml({ type: 2, transactionNumber: number }));
    expect(same.response).toMatchObject({ resultCode: 0, statusId: 60 });
    expect(same.response.extras).toBeUndefined();
  });

  it('pays without a prior AUTHORIZE (the engine validates it all the same)', async () => {
    const pay = await postElsom(url, transferXml({ type: 2, transactionNumber: txn() }));
    expect(pay.response).toMatchObject({ resultCode: 0, statusId: 60 });
  });

  it('answers a non-fatal 1 while the provider works, then 60 on a later retry', async () => {
    const number = txn();
    const account = '996700000002'; // sandbox: committed, then the answer hangs past the deadline
    await postElsom(url, transferXml({ transactionNumber: number, account }));
    const first = await postElsom(url, transferXml({ type: 2, transactionNumber: number, account }));
    expect(first.response).toMatchObject({ resultCode: 1, statusId: 10, transactionNumber: number });
    const later = await eventually(async () => {
      const answer = await postElsom(url, transferXml({ type: 2, transactionNumber: number, account }));
      return answer.response.resultCode === 0 ? answer.response : undefined;
    }, 30_000, 500);
    expect(later).toMatchObject({ statusId: 60, txnId: first.response.txnId });
    await expectLedgerBalanced(h.db);
  }, 40_000);

  it('puts a payment the provider refuses after acceptance on the attention list, and answers a fatal code', async () => {
    const number = txn();
    const account = '996700000009'; // sandbox: check passes, the pay is refused
    await postElsom(url, transferXml({ transactionNumber: number, account }));
    const pay = await postElsom(url, transferXml({ type: 2, transactionNumber: number, account }));
    expect(pay.response).toMatchObject({ resultCode: 240, statusId: 130 });
    const items = await listAttention(h.db);
    const item = items.find((candidate) => candidate.kind === 'refused_after_commit' && candidate.payment?.agentTxnId === BigInt(number));
    expect(item?.details).toMatchObject({ agentId: agent.id.toString(), agentTxnId: BigInt(number).toString(), serviceId: 'K1001', account, amountMinor: '1000', currency: 'KGS' });
    await expectLedgerBalanced(h.db);
  });

  it('answers a provider refusal at AUTHORIZE with its code and status 130', async () => {
    const auth = await postElsom(url, transferXml({ transactionNumber: txn(), account: '996700000000' }));
    expect(auth.response).toMatchObject({ resultCode: 5, statusId: 130 });
  });

  it('answers a PAYMENT after a refused AUTHORIZE with that refusal, and pays nothing (the engine\'s strict repeats)', async () => {
    const number = txn();
    expect((await postElsom(url, transferXml({ transactionNumber: number, account: '996700000000' }))).response).toMatchObject({ resultCode: 5, statusId: 130 });
    const pay = await postElsom(url, transferXml({ type: 2, transactionNumber: number, account: '996700000000' }));
    expect(pay.response).toMatchObject({ resultCode: 5, statusId: 130 });
    const stored = await h.tolem.ctx.engine.status(agent.id, BigInt(number));
    expect(stored).toMatchObject({ state: 'check_failed', paidAt: null, agentReference: number });
    await expectLedgerBalanced(h.db);
  });
});
