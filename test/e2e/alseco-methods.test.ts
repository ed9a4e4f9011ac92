/**
 * The SOAP client against the Alseco simulator over real HTTP, for every one of the 24 methods, plus the WSDL, both
 * namespaces' endpoints, SOAP 1.2, and the printed invoices (a real PDF and a real GIF).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clockAt, startTolem, type Harness } from '../helpers/harness.ts';
import { alsecoAdmin } from '../helpers/alseco.ts';
import { AlsecoClient, type AlsecoCallOutcome } from '../../src/providers/alseco/client.ts';
import { loadConfig } from '../../src/config.ts';
import { decodeAlsecoResponse, encodeAlsecoRequest, type AlsecoMethod } from '../../src/providers/alseco/codec/index.ts';
import { businessDay } from '../../src/domain/time.ts';

let h: Harness;
let client: AlsecoClient;
let admin: ReturnType<typeof alsecoAdmin>;
let period: { year: number; month: number };
const B = 'TOLM';
// Mid-month in Almaty: the current period is formed. The 1st–3rd, when it is not yet, have tests of their own.
const clock = clockAt('2026-03-16T10:00:00+05:00');
const today = () => businessDay(clock.now(), 300);

beforeAll(async () => {
  h = await startTolem({ jobs: false, clock });
  const base = `${h.url}/sandbox/alseco`;
  client = new AlsecoClient(loadConfig({}).alseco, { payments: () => `${base}/AlsecoPaymentsService.asmx`, erc: () => `${base}/AstanaErcPaymentService.asmx` });
  admin = alsecoAdmin(h.url);
  const current = (await admin.clock(null)).period;
  period = { year: Number(current.slice(0, 4)), month: Number(current.slice(5, 7)) };
});
afterAll(async () => h?.close());

function ok<M extends AlsecoMethod>(outcome: AlsecoCallOutcome<M>) {
  if (outcome.kind !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(outcome)}`);
  return outcome.result;
}

const invoiceOf = (account: number, index = 1) => `${String(period.year).slice(2)}${String(period.month).padStart(2, '0')}${String(account).padStart(7, '0')}${index}`;

/** A minimal GIF LZW decoder: proves the image decodes to width × height pixels. */
function gifPixels(bytes: Uint8Array): { width: number; height: number; pixels: number } {
  const width = bytes[6]! | (bytes[7]! << 8);
  const height = bytes[8]! | (bytes[9]! << 8);
  const tableSize = 2 << (bytes[10]! & 7);
  let at = 13 + (bytes[10]! & 0x80 ? tableSize * 3 : 0);
  expect(bytes[at]).toBe(0x2c);
  at += 10;
  const minCode = bytes[at++]!;
  const data: number[] = [];
  while (bytes[at]! > 0) {
    const size = bytes[at++]!;
    data.push(...bytes.slice(at, at + size));
    at += size;
  }
  expect(bytes[at + 1]).toBe(0x3b);
  const clear = 1 << minCode;
  let codeSize = minCode + 1;
  let dict: number[][] = [];
  const reset = () => { dict = Array.from({ length: clear + 2 }, (_, i) => [i]); codeSize = minCode + 1; };
  reset();
  let bit = 0;
  let previous: number[] | undefined;
  let pixels = 0;
  for (;;) {
    let code = 0;
    for (let i = 0; i < codeSize; i += 1, bit += 1) code |= ((data[bit >> 3]! >> (bit & 7)) & 1) << i;
    if (code === clear) { reset(); previous = undefined; continue; }
    if (code === clear + 1) break;
    const entry = code < dict.length ? dict[code]! : [...previous!, previous![0]!];
    if (previous) dict.push([...previous, entry[0]!]);
    pixels += entry.length;
    previous = entry;
    if (dict.length === 1 << codeSize && codeSize < 12) codeSize += 1;
  }
  return { width, height, pixels };
}

describe('every method over HTTP', () => {
  it('invoice look-ups: by accounts (New, WithIIN, LastVers) and by invoices (New, WithIIN, LastVers)', async () => {
    const byAccounts = ok(await client.call('GetInvoicesByAccountsNew', { accounts: [100110, 100113, 100114, 100115, 4242], bankCode: B }));
    expect(byAccounts.map((r) => r.State)).toEqual(['Success', 'InvoicesNotFormed', 'AccountIsDeleted', 'AccountIsMerged', 'AccountNotFound']);
    expect(byAccounts[0]!.AccountInvoices!.IIN).toBeUndefined();
    expect(byAccounts[0]!.AccountInvoices!.Invoices[0]!.InvoiceParameters).toHaveLength(4);
    const withIin = ok(await client.call('GetInvoicesByAccountsWithIIN', { accounts: [100110], bankCode: B }));
    expect(withIin[0]!.AccountInvoices!.IIN).toMatch(/^\d{12}$/);
    const lastVers = ok(await client.call('GetInvoicesByAccountsLastVers', { accounts: [100111], bankCode: B }));
    expect(lastVers[0]!.AccountInvoices!.Invoices).toHaveLength(2);
    const byInvoices = ok(await client.call('GetInvoicesByInvoicesNew', { inputInvoices: [invoiceOf(100110), '999900000001'], bankCode: B }));
    expect(byInvoices.map((r) => r.State)).toEqual(['Success', 'InvoiceNotFound']);
    expect(byInvoices[0]!.AccountInvoices!.AccountId).toBe(100110);
    expect(ok(await client.call('GetInvoicesByInvoicesWithIIN', { inputInvoices: [invoiceOf(100116)], bankCode: B }))[0]!.AccountInvoices!.IIN).toBeDefined();
    expect(ok(await client.call('GetInvoicesByInvoicesLastVers', { inputInvoices: [invoiceOf(100117)], bankCode: B }))[0]!.State).toBe('Success');
    // "Номера абонентов не должны повторяться": a SOAP fault of the client kind.
    expect(await client.call('GetInvoicesByAccountsNew', { accounts: [1, 1], bankCode: B })).toMatchObject({ kind: 'fault', side: 'client' });
  });

  it('Pay, PayD (idempotent on SysRef), InvoiceNotFound for another account, rollbacks by id and by SysRef', async () => {
    const invoice = ok(await client.call('GetInvoicesByAccountsNew', { accounts: [100116], bankCode: B }))[0]!.AccountInvoices!.Invoices[0]!;
    const document = (sysRef: string, accountId = 100116) => ({
      AccountId: accountId, InvoiceId: invoice.InvoceId, PaymentDate: '2024-10-15T10:00:00.000+05:00', SysRef: sysRef,
      PaymentParameters: invoice.InvoiceParameters.map((p) => ({
        ServiceId: p.ServiceId, PayCounts: '0', LastCounts: p.IsCounterService ? p.PrevCount : '0', PaySum: p.ServiceId === 45 ? 1_000n : 0n,
      })),
    });
    const paid = ok(await client.call('Pay', { paymentDocuments: [document('m-1')], bankCode: B }));
    expect(paid[0]).toMatchObject({ State: 'Success', InvoiceId: invoice.InvoceId });
    expect(paid[0]!.PaymentId).toBeGreaterThan(0);
    const again = ok(await client.call('Pay', { paymentDocuments: [document('m-1')], bankCode: B }));
    expect(again[0]!.PaymentId).toBe(paid[0]!.PaymentId);
    const payD = ok(await client.call('PayD', { paymentDocuments: [document('m-2')], bankCode: B }));
    expect(payD[0]!.PayResDate).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    const foreign = ok(await client.call('Pay', { paymentDocuments: [document('m-3', 100117)], bankCode: B }));
    expect(foreign[0]).toMatchObject({ State: 'InvoiceNotFound', PaymentId: -1 });
    const rolled = ok(await client.call('RollbackPayments', { paymentIds: [payD[0]!.PaymentId, 1], bankCode: B }));
    expect(rolled.map((r) => r.Result)).toEqual(['Success', 'PaymentNotFound']);
    const bySysRef = ok(await client.call('RollbackPaymentsBySysRef', { sysRefs: ['m-1'], bankCode: B }));
    expect(bySysRef).toEqual([{ PaymentId: 'm-1', Result: 'Success' }]);
  });

  it('payment lists: GetPaymentsInfo, getPaysInfo, GetBankPayByMonth, GetNotMovedPays, GetBankDayChecks', async () => {
    const invoice = ok(await client.call('GetInvoicesByAccountsNew', { accounts: [100117], bankCode: B }))[0]!.AccountInvoices!.Invoices[0]!;
    const paid = ok(await client.call('Pay', {
      paymentDocuments: [{ AccountId: 100117, InvoiceId: invoice.InvoceId, PaymentDate: '2024-10-15T10:00:00.000+05:00', SysRef: 'list-1',
        PaymentParameters: invoice.InvoiceParameters.map((p) => ({ ServiceId: p.ServiceId, PayCounts: '0', LastCounts: p.IsCounterService ? p.PrevCount : '0', PaySum: 2_500n })) }],
      bankCode: B,
    }))[0]!;
    const day = today();
    const paysInfo = ok(await client.call('getPaysInfo', { bankCode: B, DateBegin: `${day}T00:00:00`, DateEnd: `${day}T23:59:59` }));
    expect(paysInfo.find((p) => p.SysRef === 'list-1')).toMatchObject({ PaymentId: paid.PaymentId, AccountId: 100117, PaySum: 12_500n });
    const month = ok(await client.call('GetBankPayByMonth', { bankCode: B, year: Number(day.slice(0, 4)), month: Number(day.slice(5, 7)) }));
    expect(month.result).toBe(true);
    expect(month.list.some((p) => p.SysRef === 'list-1')).toBe(true);
    const notMoved = ok(await client.call('GetNotMovedPays', { bankCode: B, dateIn: `${day}T00:00:00.000+05:00` }));
    expect(notMoved.some((p) => p.SysRef === 'list-1')).toBe(true);
    const dayOnly = Number(day.slice(8, 10));
    expect(ok(await client.call('GetPaymentsInfo', { year: Number(day.slice(0, 4)), month: Number(day.slice(5, 7)), day: dayOnly, bankCode: B }))).toEqual([]);
    const checks = ok(await client.call('GetBankDayChecks', { bankCode: B, dateIn: `${day}T00:00:00.000+05:00` }));
    expect(checks).toEqual([{ BankCode: B, PaymentDate: `${day}T00:00:00`, CheckedSign: true }]);
    const processed = ok(await client.call('GetPaymentsInfo', { year: Number(day.slice(0, 4)), month: Number(day.slice(5, 7)), day: null, bankCode: B }));
    expect(processed).toContainEqual({ PaymentId: paid.PaymentId, SysRef: 'list-1' });
    expect(ok(await client.call('GetNotMovedPays', { bankCode: B, dateIn: `${day}T00:00:00.000+05:00` })).some((p) => p.SysRef === 'list-1')).toBe(false);
    expect(ok(await client.call('RollbackPaymentsBySysRef', { sysRefs: ['list-1'], bankCode: B }))[0]!.Result).toBe('PaymentProcessed');
    const report = ok(await client.call('GetReport108e', { bankCode: B, dateIn: `${day}T00:00:00.000+05:00` }));
    expect(report.result).toBe('sucsess');
    expect(report.list.reduce((sum, line) => sum + line.SUMP, 0n)).toBeGreaterThanOrEqual(12_500n);
    expect(ok(await client.call('GetReport108e', { bankCode: B, dateIn: '2017-10-23T00:00:00.000+06:00' })).ErrorMessage).toBe('Дата раньше 1 ноября 2017 г.');
  });

  it('accounts, period and bills: GetAccountState, GetAccountInfo, GetCurrentPeriod, GetAccountsWithFormedBill, GetBillInfoLabels, GetBillInfo', async () => {
    expect(ok(await client.call('GetAccountState', { accountId: 100110, bankCode: B }))).toBe('Active');
    expect(ok(await client.call('GetAccountState', { accountId: 100114, bankCode: B }))).toBe('Deleted');
    expect(ok(await client.call('GetAccountState', { accountId: 100115, bankCode: B }))).toBe('Merged');
    expect(ok(await client.call('GetAccountState', { accountId: 5, bankCode: B }))).toBe('NotFound');
    expect(ok(await client.call('GetAccountInfo', { accountId: 100110, bankCode: B }))).toMatchObject({ Name: 'Иванов Иван Иванович', QuantityPeople: 2, Square: '44.000000' });
    expect(ok(await client.call('GetAccountInfo', { accountId: 5, bankCode: B }))).toBeUndefined();
    expect(ok(await client.call('GetCurrentPeriod', { bankCode: B }))).toBe(`${period.year}-${String(period.month).padStart(2, '0')}`);
    const formed = ok(await client.call('GetAccountsWithFormedBill', { bankCode: B }));
    expect(formed).toContain(100110);
    expect(formed).not.toContain(100112);
    expect(ok(await client.call('GetAccountsWithFormedBill', { bankCode: B }))).toEqual([]);
    const labels = ok(await client.call('GetBillInfoLabels', { bankCode: B, year: period.year, month: period.month }));
    expect(labels.exRes.Executed).toBe(true);
    expect(labels.list.length).toBeGreaterThan(0);
    const bills = ok(await client.call('GetBillInfo', { bankCode: B, year: period.year, month: period.month, labelId: 1 }));
    expect(bills.exRes.Executed).toBe(true);
    expect(bills.list[0]!.fixSum).toBeGreaterThan(0n);
    const future = ok(await client.call('GetBillInfoLabels', { bankCode: B, year: period.year + 1, month: period.month }));
    expect(future.exRes).toMatchObject({ Executed: false, ErrorMessage: 'Месяц позже текущего' });
    const old = ok(await client.call('GetBillInfo', { bankCode: B, year: period.year - 1, month: period.month, labelId: 1 }));
    expect(old.exRes).toMatchObject({ Executed: false, ErrorMessage: 'Нет данных' });
  });

  it('printed invoices: GetPrintedInvoicePDF is a real multi-page PDF, GetPrintedInvoice a real GIF', async () => {
    const pdf = ok(await client.call('GetPrintedInvoicePDF', { accountId: 100110, year: period.year, month: period.month, bankCode: B }))!;
    const text = Buffer.from(pdf).toString('latin1');
    expect(text.startsWith('%PDF-1.4')).toBe(true);
    expect(text.trimEnd().endsWith('%%EOF')).toBe(true);
    expect(text).toContain('/Count 2');
    const xrefAt = Number(/startxref\n(\d+)/.exec(text)![1]);
    expect(text.slice(xrefAt, xrefAt + 4)).toBe('xref');
    for (const m of text.matchAll(/^(\d{10}) 00000 n $/gm)) expect(text.slice(Number(m[1]), Number(m[1]) + 12)).toMatch(/^\d+ 0 obj/);
    // Not found in the month asked: the last of the previous six months.
    const fallback = ok(await client.call('GetPrintedInvoicePDF', { accountId: 100112, year: period.year, month: period.month, bankCode: B }));
    expect(fallback).toBeDefined();
    const gif = ok(await client.call('GetPrintedInvoice', { accountId: 100110, bill_id: 1, year: period.year, month: period.month, bankCode: B }))!;
    expect(Buffer.from(gif.slice(0, 6)).toString('ascii')).toBe('GIF89a');
    const decoded = gifPixels(gif);
    expect(decoded.pixels).toBe(decoded.width * decoded.height);
    expect(ok(await client.call('GetPrintedInvoice', { accountId: 100113, bill_id: 1, year: period.year, month: period.month, bankCode: B }))).toBeUndefined();
  });

  it('an unknown bank code is refused with a client fault; SOAP 1.2 and the other namespace are served; ?wsdl answers the WSDL', async () => {
    expect(await client.call('GetCurrentPeriod', { bankCode: 'XXXX' })).toMatchObject({ kind: 'fault', side: 'client' });
    const request = encodeAlsecoRequest('GetAccountInfo', { accountId: 100110, bankCode: B }, { soapVersion: '1.2', namespace: 'http://www.alseco.kz/AlsecoPaymentsService/' });
    const response = await fetch(`${h.url}/sandbox/alseco`, { method: 'POST', headers: request.headers, body: request.body });
    expect(response.headers.get('content-type')).toContain('application/soap+xml');
    const decoded = decodeAlsecoResponse('GetAccountInfo', Buffer.from(await response.arrayBuffer()));
    expect(decoded).toMatchObject({ kind: 'ok', soapVersion: '1.2', namespace: 'http://www.alseco.kz/AlsecoPaymentsService/' });
    const wsdl = await (await fetch(`${h.url}/sandbox/alseco/AlsecoPaymentsService.asmx?wsdl`)).text();
    expect(wsdl).toContain('<wsdl:definitions');
    expect(wsdl).toContain(`location="${h.url}/sandbox/alseco/AlsecoPaymentsService.asmx"`);
  });

  it('turns HTML pages, truncated XML, huge bodies, SOAP faults and timeouts into typed outcomes', async () => {
    const expectFailure = async (faults: Record<string, unknown>, pattern: RegExp, kind: 'failure' | 'fault' = 'failure') => {
      await admin.clearFaults();
      await admin.faults({ ...faults, methods: ['GetCurrentPeriod'], times: 1 });
      const outcome = await client.call('GetCurrentPeriod', { bankCode: B });
      expect(outcome.kind).toBe(kind);
      expect(outcome.kind === 'failure' ? outcome.detail : outcome.kind === 'fault' ? outcome.message : '').toMatch(pattern);
    };
    await expectFailure({ http500Rate: 1 }, /HTML page "500 - Internal server error\."/);
    await expectFailure({ malformedRate: 1 }, /malformed answer \((truncated|not-well-formed)/);
    await expectFailure({ hugeRate: 1 }, /too large/);
    await expectFailure({ soapFaultRate: 1 }, /SqlException/, 'fault');
    await admin.clearFaults();
    await admin.faults({ latencyMs: 1_500, methods: ['GetCurrentPeriod'] });
    const timed = await client.call('GetCurrentPeriod', { bankCode: B }, AbortSignal.timeout(300));
    expect(timed).toMatchObject({ kind: 'failure', detail: 'GetCurrentPeriod: timed out' });
    await admin.clearFaults();
    expect(await client.call('GetCurrentPeriod', { bankCode: B })).toMatchObject({ kind: 'ok' });
  });

  it('moves the current period only after the switch day, and falls back to the previous period\'s invoices meanwhile', async () => {
    const firstOfMonth = `${period.year + 1}-01-02T12:00:00+05:00`;
    expect((await admin.clock(firstOfMonth)).period).toBe(`${period.year}-12`);
    const early = ok(await client.call('GetInvoicesByAccountsNew', { accounts: [100110], bankCode: B }));
    expect(early[0]!.AccountInvoices!.Invoices[0]!.InvoceId.slice(0, 4)).toBe(`${String(period.year).slice(2)}12`);
    expect((await admin.clock(`${period.year + 1}-01-03T00:00:00+05:00`)).period).toBe(`${period.year + 1}-01`);
    await admin.clock(null);
  });
});
