/** Alseco mapping: states → agent codes, Pay answers → outcomes, the payment document, lists. Pure functions only. */
import { describe, expect, it } from 'vitest';
import {
  ALSECO_ROLLBACK_MEANING, ALSECO_STATE_MEANING, alsecoAccountId, alsecoDateTime, alsecoPaymentDocument, compactAlsecoDate,
  fromPayResults, fromRollbackResults, invoiceSelector, mergeProviderLists, readInvoiceLookup, statusFromPayList, tidyDecimal,
  toAgentInvoices,
} from '../../../src/providers/alseco/mapping.ts';
import { ALSECO_OPERATION_STATES, ALSECO_ROLLBACK_RESULTS, type AlsecoAccountInvoices, type AlsecoPaymentDocument } from '../../../src/providers/alseco/codec/index.ts';
import type { Invoice } from '../../../src/domain/payment.ts';

const account: AlsecoAccountInvoices = {
  AccountId: 100110,
  AccountAddress: 'г. Алматы, ул. Абая 1',
  Invoices: [{
    InvoceId: '241001001101', FormedDate: '2024-10-01T10:00:00', ExpireDate: '2024-10-31T00:00:00',
    InvoiceParameters: [
      { ServiceId: 13, ServiceName: 'Электроэнергия', IsCounterService: true, Measure: 'тг/кВт.ч', Tariff: '8.090000', AvgPaySum: 0n, AvgCount: '0', LastCount: '0.000000', PrevCount: '4870.000000', FixCount: '0', FixSum: 0n, DebtInfo: 'долг 339.78' },
      { ServiceId: 37, ServiceName: 'Газ', IsCounterService: true, Tariff: '14.850000', AvgPaySum: 0n, AvgCount: '0', LastCount: '610.000000', PrevCount: '595.000000', FixCount: '15.000000', FixSum: 22_275n, ExpireDateInfo: 'Срок оплаты до 31.10' },
      { ServiceId: 2, ServiceName: 'Отопление', IsCounterService: false, Tariff: '210.27', AvgPaySum: 0n, AvgCount: '0', LastCount: '0', PrevCount: '0', FixCount: '0', FixSum: 925_188n },
    ],
  }],
  CalculationParameters: [],
};

describe('states and codes', () => {
  it('gives every operation state and rollback result a meaning (exhaustive tables)', () => {
    expect(Object.keys(ALSECO_STATE_MEANING).sort()).toEqual([...ALSECO_OPERATION_STATES].sort());
    expect(Object.keys(ALSECO_ROLLBACK_MEANING).sort()).toEqual([...ALSECO_ROLLBACK_RESULTS].sort());
    expect(ALSECO_STATE_MEANING.AccountNotFound).toMatchObject({ code: 5 });
    expect(ALSECO_STATE_MEANING.AccountIsDeleted).toMatchObject({ code: 7 });
    expect(ALSECO_STATE_MEANING.AccountIsMerged).toMatchObject({ code: 7 });
    expect(ALSECO_STATE_MEANING.InvoicesNotFormed).toMatchObject({ code: 8 });
  });

  it('reads a look-up entry: Success without data or for another account is not taken at face value', () => {
    expect(readInvoiceLookup([{ InputValue: 100110, State: 'Success', AccountInvoices: account }], 100110, 100110).kind).toBe('ok');
    expect(readInvoiceLookup([{ InputValue: 100110, State: 'Success' }], 100110, 100110).kind).toBe('unknown');
    expect(readInvoiceLookup([], 100110, 100110).kind).toBe('unknown');
    expect(readInvoiceLookup([{ InputValue: 'x', State: 'Success', AccountInvoices: account }], 'x', 5)).toMatchObject({ kind: 'declined', refusal: { code: 5 } });
    expect(readInvoiceLookup([{ InputValue: 1, State: 'AccountIsMerged' }], 1, 1)).toMatchObject({ kind: 'declined', refusal: { code: 7 } });
  });

  it('accepts only Success with PaymentId > 0 as paid; contradictions are unknown', () => {
    const doc = { InvoiceId: '241001001101' } as AlsecoPaymentDocument;
    expect(fromPayResults([{ State: 'Success', InvoiceId: doc.InvoiceId, PaymentId: 26 }], doc)).toEqual({ kind: 'paid', providerRef: '26' });
    expect(fromPayResults([{ State: 'Success', InvoiceId: doc.InvoiceId, PaymentId: -1 }], doc).kind).toBe('unknown');
    expect(fromPayResults([{ State: 'AccountNotFound', InvoiceId: doc.InvoiceId, PaymentId: 7 }], doc).kind).toBe('unknown');
    expect(fromPayResults([{ State: 'InvoiceNotFound', InvoiceId: doc.InvoiceId, PaymentId: -1 }], doc)).toMatchObject({ kind: 'declined', code: 5 });
    expect(fromPayResults([], doc).kind).toBe('unknown');
    expect(fromPayResults([{ State: 'Success', InvoiceId: 'other', PaymentId: 26 }], doc).kind).toBe('unknown');
  });

  it('says not_found only from a list that lacks the SysRef; rollbacks map PaymentProcessed to a clear refusal', () => {
    expect(statusFromPayList([{ SysRef: '42', PaymentId: 9 }], '42')).toEqual({ kind: 'paid', providerRef: '9' });
    expect(statusFromPayList([{ SysRef: '43', PaymentId: 9 }], '42')).toEqual({ kind: 'not_found' });
    // A payment Alseco confirmed to us (its PaymentIds) that its list no longer holds was rolled back.
    expect(statusFromPayList([{ SysRef: '43', PaymentId: 9 }], '42', '8366535')).toEqual({ kind: 'cancelled' });
    expect(statusFromPayList([], '42', '8366535,8366536')).toEqual({ kind: 'cancelled' });
    expect(statusFromPayList([{ SysRef: '42', PaymentId: 8366535 }], '42', '8366535')).toEqual({ kind: 'paid', providerRef: '8366535' });
    // An operator's own reference (marked paid by hand) is not Alseco's word: still not found.
    expect(statusFromPayList([], '42', 'DESK-1')).toEqual({ kind: 'not_found' });
    expect(fromRollbackResults([{ PaymentId: '42', Result: 'Success' }], '42')).toEqual({ kind: 'cancelled' });
    expect(fromRollbackResults([{ PaymentId: '42', Result: 'PaymentProcessed' }], '42')).toMatchObject({ kind: 'refused', code: 7 });
    expect(fromRollbackResults([], '42').kind).toBe('unknown');
  });
});

describe('values', () => {
  it('reads accounts, invoice numbers and dates', () => {
    expect(alsecoAccountId('0000100110')).toBe(100110);
    expect(alsecoAccountId('2147483648')).toBeUndefined();
    expect(alsecoAccountId('0000000000')).toBeUndefined();
    expect(invoiceSelector({ invoice: '2410 0100 1101 7' })).toEqual({ kind: 'invoice', invoiceId: '241001001101' });
    expect(invoiceSelector({})).toEqual({ kind: 'account' });
    expect(invoiceSelector({ invoiceNumber: '991300000017' })).toMatchObject({ kind: 'refused', refusal: { code: 4 } });
    expect(compactAlsecoDate('2007-11-10T11:49:00')).toBe('20071110114900');
    expect(tidyDecimal('8.090000')).toBe('8.09');
    expect(tidyDecimal('4870.000000')).toBe('4870.00');
    expect(tidyDecimal('0.125')).toBe('0.125');
    expect(alsecoDateTime(new Date('2024-10-15T05:00:00Z'), 300)).toBe('2024-10-15T10:00:00.000+05:00');
  });
});

describe('invoice and payment document', () => {
  const invoices: Invoice[] = toAgentInvoices(account, { Name: 'Иванов И.', Address: 'Абая 1', Square: '44', QuantityPeople: 2 });

  it('maps every agent invoice field', () => {
    expect(invoices[0]).toMatchObject({ invoiceId: '241001001101', formedDate: '20241001100000', expireDate: '20241031000000', clientName: 'Иванов И.', clientAddress: 'Абая 1' });
    expect(invoices[0]!.services[1]).toEqual({
      subServiceId: '37', subServiceName: 'Газ',
      data: { paySum: '222.75', tariff: '14.85', minSum: '0.00', maxSum: '0.00', debtInfo: '', isMeter: true, prevCount: '595.00', lastCount: '610.00', si: '', comment: 'Срок оплаты до 31.10' },
    });
    expect(toAgentInvoices(account, undefined)[0]!.clientAddress).toBe('г. Алматы, ул. Абая 1');
  });

  it('builds the document with every invoice service, PayCounts from readings, and refuses bad lines with 202', () => {
    const built = alsecoPaymentDocument({ accountId: 100110, sysRef: '77', acceptedAt: new Date('2024-10-15T05:00:00Z'), offsetMinutes: 300, invoices, lines: [{ subServiceId: '13', amountMinor: 10_000n, lastCount: '4900' }] });
    expect(built.ok).toBe(true);
    if (!built.ok) return;
    expect(built.document).toEqual({
      AccountId: 100110, InvoiceId: '241001001101', PaymentDate: '2024-10-15T10:00:00.000+05:00', SysRef: '77',
      PaymentParameters: [
        { ServiceId: 13, PayCounts: '30.000000', LastCounts: '4900.000000', PaySum: 10_000n },
        { ServiceId: 37, PayCounts: '15.000000', LastCounts: '610.000000', PaySum: 0n },
        { ServiceId: 2, PayCounts: '0', LastCounts: '0', PaySum: 0n },
      ],
    });
    const input = { accountId: 1, sysRef: '1', acceptedAt: new Date('2026-03-16T05:00:00Z'), offsetMinutes: 300, invoices };
    expect(alsecoPaymentDocument({ ...input, lines: [{ subServiceId: '99', amountMinor: 1n }] })).toMatchObject({ ok: false, failure: { code: 202 } });
    expect(alsecoPaymentDocument({ ...input, lines: [{ subServiceId: '13', amountMinor: 1n, lastCount: '10' }] })).toMatchObject({ ok: false, failure: { code: 202 } });
    expect(alsecoPaymentDocument({ ...input, lines: [{ subServiceId: '2', amountMinor: 1n, lastCount: '10' }] })).toMatchObject({ ok: false, failure: { code: 202 } });
    expect(alsecoPaymentDocument({ ...input, lines: [] })).toMatchObject({ ok: false, failure: { code: 202 } });
  });

  it('merges GetNotMovedPays and getPaysInfo by PaymentId, then by SysRef', () => {
    const merged = mergeProviderLists(
      [{ InvoicePaymentId: 1, InvoiceId: 'a', AccountId: 5, SysRef: '42', PaymentDate: 'x', PaySum: 100n, PaymentReceiveDate: 'x' }],
      [{ PaymentId: 1, InvoiceId: 'a', AccountId: 5, SysRef: '42', PaySum: 100n, PayDate: 'x' }, { PaymentId: 2, InvoiceId: 'b', AccountId: 5, SysRef: '42', PaySum: 50n, PayDate: 'x' }],
    );
    expect(merged).toEqual([{ sysRef: '42', paymentIds: [1, 2], amountMinor: 150n, accountId: 5, invoiceId: 'a', at: 'x' }]);
  });
});
