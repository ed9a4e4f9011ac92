/**
 * Every example of the Alseco document ("Описание работы с web-сервисом AlsecoPaymentsService"), byte for byte
 * (test/fixtures/alseco), decodes to exactly these values.
 * Nine examples of the spec are not valid messages as printed (truncated, typos in closing tags, help-page
 * placeholders such as <accountId>int</accountId>): for those the raw bytes must give the typed failure, and a
 * minimal, named repair must then decode to exact values.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ALSECO_NAMESPACES, decodeAlsecoRequest, decodeAlsecoResponse, isAlsecoMethod,
  type AlsecoMethod, type AlsecoParams, type AlsecoResult,
} from '../../../src/providers/alseco/codec/index.ts';
import { occursInSpec } from '../../helpers/spec-excerpts.ts';

const DIR = new URL('../../fixtures/alseco/', import.meta.url);
const fixture = (name: string): string => readFileSync(new URL(name, DIR), 'utf8');
const ALS = ALSECO_NAMESPACES.AlsecoPaymentsService;
const AST = ALSECO_NAMESPACES.AstanaErcPaymentService;

const CLOSE_SOAP = '   </soap:Body> \n</soap:Envelope> \n';

function repair(text: string, replacements: readonly (readonly [string, string])[]): string {
  let out = text;
  for (const [from, to] of replacements) {
    expect(out).toContain(from);
    out = out.replace(from, to);
  }
  return out;
}

describe('fixtures are the spec, byte for byte', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.xml'));
  it('has one file per example of the spec (36) with the agreed names', () => {
    expect(files).toHaveLength(36);
    for (const file of files) {
      expect(file).toMatch(/^[A-Za-z0-9]+\.(request|response)(\.[a-z0-9-]+)?\.xml$/);
      expect(isAlsecoMethod(file.split('.')[0] ?? '')).toBe(true);
    }
  });
  // The document's example sections are kept byte for byte in test/fixtures/alseco/spec/ (test/helpers/spec-excerpts.ts).
  it.each(files)('%s is a verbatim excerpt of the Alseco document', (file) => {
    expect(occursInSpec('alseco', fixture(file))).toBe(true);
  });
});

function okRequest<M extends AlsecoMethod>(xml: string, method: M, namespace: string, params: AlsecoParams<M>, soapVersion = '1.1') {
  const out = decodeAlsecoRequest(xml);
  expect(out).toEqual({
    kind: 'ok', method, namespace, soapVersion, soapAction: `${namespace}${method}`, params,
  });
}

function okResponse<M extends AlsecoMethod>(xml: string, method: M, namespace: string, result: AlsecoResult<M>, soapVersion = '1.1') {
  const out = decodeAlsecoResponse(method, xml);
  expect(out).toEqual({ kind: 'ok', method, namespace, soapVersion, result });
}

describe('request examples (decodeAlsecoRequest)', () => {
  it('GetBankPayByMonth', () => {
    okRequest(fixture('GetBankPayByMonth.request.xml'), 'GetBankPayByMonth', ALS, { bankCode: 'kasp', year: 2018, month: 3 });
  });

  it('getPaysInfo: printed with "?" placeholders (soapUI template)', () => {
    const raw = fixture('getPaysInfo.request.xml');
    expect(decodeAlsecoRequest(raw)).toMatchObject({ kind: 'malformed', reason: 'invalid-value' });
    const filled = repair(raw, [
      ['<als:bankCode>?</als:bankCode>', '<als:bankCode>ALSC</als:bankCode>'],
      ['<als:DateBegin>?</als:DateBegin>', '<als:DateBegin>2017-04-01T00:00:00</als:DateBegin>'],
      ['<als:DateEnd>?</als:DateEnd>', '<als:DateEnd>2017-04-30T23:59:59</als:DateEnd>'],
    ]);
    okRequest(filled, 'getPaysInfo', ALS, { bankCode: 'ALSC', DateBegin: '2017-04-01T00:00:00', DateEnd: '2017-04-30T23:59:59' });
  });

  it('GetPrintedInvoicePDF: "03" is 3, the undeclared ast: prefix on bankCode is tolerated', () => {
    okRequest(fixture('GetPrintedInvoicePDF.request.xml'), 'GetPrintedInvoicePDF', ALS, {
      accountId: 3333, year: 2016, month: 3, bankCode: 'ALSC',
    });
  });

  it('GetAccountsWithFormedBill', () => {
    okRequest(fixture('GetAccountsWithFormedBill.request.xml'), 'GetAccountsWithFormedBill', ALS, { bankCode: 'ALSC' });
  });

  it('GetBillInfoLabels and GetBillInfo', () => {
    okRequest(fixture('GetBillInfoLabels.request.xml'), 'GetBillInfoLabels', ALS, { bankCode: 'ALSC', year: 2018, month: 12 });
    okRequest(fixture('GetBillInfo.request.xml'), 'GetBillInfo', ALS, { bankCode: 'ALSC', year: 2018, month: 12, labelId: 14 });
  });

  it('GetReport108e (AstanaErcPaymentService, dateIn kept exactly)', () => {
    okRequest(fixture('GetReport108e.request.xml'), 'GetReport108e', AST, {
      bankCode: 'ALSC', dateIn: '2017-10-23T00:00:00.000+06:00',
    });
  });

  it('GetInvoicesByAccountsNew and GetInvoicesByInvoicesNew: lists are arrays', () => {
    okRequest(fixture('GetInvoicesByAccountsNew.request.xml'), 'GetInvoicesByAccountsNew', ALS, {
      accounts: [333, 444, 555], bankCode: 'ALSC',
    });
    okRequest(fixture('GetInvoicesByInvoicesNew.request.xml'), 'GetInvoicesByInvoicesNew', ALS, {
      inputInvoices: ['567567'], bankCode: 'ALSC',
    });
  });

  it('Pay: amounts in tiyn, meter readings as exact text, SysRef with xsi:type', () => {
    okRequest(fixture('Pay.request.xml'), 'Pay', ALS, {
      paymentDocuments: [{
        AccountId: 666777,
        InvoiceId: '5555',
        PaymentDate: '2007-12-04T18:58:03.5381358+06:00',
        SysRef: '1',
        PaymentParameters: [
          { ServiceId: 36, PayCounts: '20', LastCounts: '120', PaySum: 10_000n },
          { ServiceId: 37, PayCounts: '20', LastCounts: '120', PaySum: 10_000n },
        ],
      }],
      bankCode: 'ALSC',
    });
  });

  it('RollbackPayments and RollbackPaymentsBySysRef', () => {
    okRequest(fixture('RollbackPayments.request.xml'), 'RollbackPayments', ALS, { paymentIds: [4], bankCode: 'ALSC' });
    okRequest(fixture('RollbackPaymentsBySysRef.request.xml'), 'RollbackPaymentsBySysRef', ALS, { sysRefs: ['4'], bankCode: 'ALSC' });
  });

  it('GetPaymentsInfo: <day xsi:nil="true" /> is null', () => {
    okRequest(fixture('GetPaymentsInfo.request.xml'), 'GetPaymentsInfo', ALS, { year: 2008, month: 11, day: null, bankCode: 'ALSC' });
  });

  it('GetAccountState', () => {
    okRequest(fixture('GetAccountState.request.xml'), 'GetAccountState', ALS, { accountId: 6666, bankCode: 'ALSC' });
  });

  it('GetAccountInfo: SOAP 1.2 help-page template with type names as values', () => {
    const raw = fixture('GetAccountInfo.request.xml');
    expect(decodeAlsecoRequest(raw)).toMatchObject({ kind: 'malformed', reason: 'invalid-value' });
    const filled = repair(raw, [['<accountId>int</accountId>', '<accountId>6666</accountId>']]);
    okRequest(filled, 'GetAccountInfo', AST, { accountId: 6666, bankCode: 'string' }, '1.2');
  });

  it('GetPrintedInvoice: help-page template', () => {
    const raw = fixture('GetPrintedInvoice.request.xml');
    expect(decodeAlsecoRequest(raw)).toMatchObject({ kind: 'malformed', reason: 'invalid-value' });
    const filled = repair(raw, [
      ['<accountId>int</accountId>', '<accountId>6666</accountId>'],
      ['<bill_id>int</bill_id>', '<bill_id>12</bill_id>'],
      ['<year>int</year>', '<year>2018</year>'],
      ['<month>int</month>', '<month>3</month>'],
      ['<bankCode>string</bankCode>', '<bankCode>ALSC</bankCode>'],
    ]);
    okRequest(filled, 'GetPrintedInvoice', AST, { accountId: 6666, bill_id: 12, year: 2018, month: 3, bankCode: 'ALSC' });
  });

  it('GetNotMovedPays and GetBankDayChecks', () => {
    const params = { bankCode: 'ALSC', dateIn: '2018-03-26T00:00:00.000+06:00' };
    okRequest(fixture('GetNotMovedPays.request.xml'), 'GetNotMovedPays', AST, params);
    okRequest(fixture('GetBankDayChecks.request.xml'), 'GetBankDayChecks', AST, params);
  });
});

describe('response examples (decodeAlsecoResponse)', () => {
  it('GetBankPayByMonth: the example is cut after </PayItem>', () => {
    const raw = fixture('GetBankPayByMonth.response.xml');
    expect(decodeAlsecoResponse('GetBankPayByMonth', raw)).toMatchObject({ kind: 'malformed', reason: 'truncated' });
    const completed = `${raw}            </list> \n         </GetBankPayByMonthResult> \n      </GetBankPayByMonthResponse> \n${CLOSE_SOAP}`;
    okResponse(completed, 'GetBankPayByMonth', ALS, {
      result: false,
      ErrorMessage: '',
      StackTrace: '',
      list: [{
        InvoicePaymentId: 4444, AccountId: 5555, InvoiceId: '6666', PaymentReceiveDate: '2018-03-01T00:00:00',
        SysRef: '799398416', PaySum: 786_508n,
      }],
    });
  });

  it('getPaysInfo: annotation text between elements is ignored', () => {
    okResponse(fixture('getPaysInfo.response.xml'), 'getPaysInfo', ALS, [{
      AccountId: 777, InvoiceId: '666', PaymentId: 10264561, SysRef: '1983151928', PaySum: 4_950_000n,
      PayDate: '2017-04-06T00:00:00',
    }]);
  });

  it('GetPrintedInvoicePDF: "JVB…=" is an elided base64, refused; a real one decodes to bytes', () => {
    const raw = fixture('GetPrintedInvoicePDF.response.xml');
    expect(decodeAlsecoResponse('GetPrintedInvoicePDF', raw)).toMatchObject({ kind: 'malformed', reason: 'invalid-value' });
    const filled = repair(raw, [['JVB…=', 'JVBERi0xLjQK']]);
    okResponse(filled, 'GetPrintedInvoicePDF', ALS, new TextEncoder().encode('%PDF-1.4\n'));
  });

  it('GetAccountsWithFormedBill: the example is cut with "……"', () => {
    const raw = fixture('GetAccountsWithFormedBill.response.xml');
    expect(decodeAlsecoResponse('GetAccountsWithFormedBill', raw)).toMatchObject({ kind: 'malformed', reason: 'truncated' });
    const completed = `${raw.replace(/\n\n………………………. \n$/, '\n')}         </GetAccountsWithFormedBillResult> \n      </GetAccountsWithFormedBillResponse> \n${CLOSE_SOAP}`;
    okResponse(completed, 'GetAccountsWithFormedBill', ALS, [555, 666, 777]);
  });

  it('GetBillInfoLabels', () => {
    okResponse(fixture('GetBillInfoLabels.response.xml'), 'GetBillInfoLabels', ALS, {
      exRes: { Executed: true, ErrorMessage: '', StackTrace: '' },
      list: [{ labelId: 1 }, { labelId: 2 }, { labelId: 3 }],
    });
  });

  it('GetBillInfo', () => {
    okResponse(fixture('GetBillInfo.response.xml'), 'GetBillInfo', ALS, {
      exRes: { Executed: true, ErrorMessage: '', StackTrace: '' },
      list: [{ accountId: 8888, accountName: 'Плательщик.', accountAddress: 'Алматы қ.|г.Алматы', invoiceId: '2222', fixSum: 4_963_902n }],
    });
  });

  it('GetReport108e: "</ SERV_ID>" is not XML; repaired, every column decodes', () => {
    const raw = fixture('GetReport108e.response.xml');
    expect(decodeAlsecoResponse('GetReport108e', raw)).toMatchObject({ kind: 'malformed', reason: 'not-well-formed' });
    okResponse(repair(raw, [['</ SERV_ID>', '</SERV_ID>']]), 'GetReport108e', AST, {
      result: 'sucsess',
      list: [{
        DAT: '23.10.2017', KODBN: '33333', NUMRS: '333333', TSH: '', BIN: '55555', SUMP: 65_802n,
        NAME_POL: 'ГККП Государственная ', NAZN_PL: 'АЛСЕКО за Эксплуатационные расход', SERV_ID: 1, KODD: '',
        FL: false, KBE: '16', KNP: '856', IIN_ABON: '', FIO: '',
      }],
      ErrorMessage: '',
      StackTrace: '',
    });
  });

  const invoicesExpected: AlsecoResult<'GetInvoicesByAccountsNew'> = [
    {
      InputValue: 8888,
      State: 'Success',
      AccountInvoices: {
        IIN: '660523302303',
        AccountId: 100110,
        AccountAddress: 'г. Алматы, ул…. дом… кв… ',
        Invoices: [{
          InvoceId: '9999',
          FormedDate: '2007-11-10T11:49:00',
          ExpireDate: '2007-11-30T00:00:00',
          InvoiceParameters: [
            {
              ServiceId: 13, ServiceName: 'Электроэнергия', IsCounterService: true, Measure: 'тг/кВт.ч',
              Tariff: '8.090000', AvgPaySum: 89_600n, AvgCount: '140.000000', LastCount: '0.000000',
              PrevCount: '4870.000000', FixCount: '0.000000', FixSum: 0n, DebtInfo: 'долг 339.78',
            },
            {
              ServiceId: 37, ServiceName: 'Газ со счетчиком', IsCounterService: false, Measure: 'тг/м3',
              Tariff: '14.850000', ExpireDateInfo: 'Тґлеу мерзімі 30.11.2007 ж. дейін.Срок оплаты до \n30.11.2007г.',
              AvgPaySum: 0n, AvgCount: '0.000000', LastCount: '610.000000', PrevCount: '595.000000',
              FixCount: '15.000000', FixSum: 0n, DebtInfo: 'арт.төлен переп. 415.90', PaySum: 153_200n,
            },
          ],
        }],
        CalculationParameters: [
          { ParameterId: 1, ParameterName: 'Количество проживающих', ParameterValue: '1.000000' },
          { ParameterId: 2, ParameterName: 'Отапливаемая площадь', ParameterValue: '44.000000' },
        ],
      },
    },
    { InputValue: 7777444, State: 'AccountNotFound' },
  ];

  it('GetInvoicesByAccountsNew: mismatched Result tags and "</ PaySum>" refused as printed', () => {
    const raw = fixture('GetInvoicesByAccountsNew.response.xml');
    expect(decodeAlsecoResponse('GetInvoicesByAccountsNew', raw)).toMatchObject({ kind: 'malformed', reason: 'not-well-formed' });
  });

  it('GetInvoicesByAccountsNew: repaired either way (NewResult / ResultNew), decodes every field', () => {
    const raw = fixture('GetInvoicesByAccountsNew.response.xml');
    const pay = ['</ PaySum>', '</PaySum>'] as const;
    const standard = repair(raw, [pay, ['<GetInvoicesByAccountsResultNew>', '<GetInvoicesByAccountsNewResult>']]);
    const printed = repair(raw, [pay, ['</GetInvoicesByAccountsNewResult>', '</GetInvoicesByAccountsResultNew>']]);
    okResponse(standard, 'GetInvoicesByAccountsNew', ALS, invoicesExpected);
    okResponse(printed, 'GetInvoicesByAccountsNew', ALS, invoicesExpected);
  });

  it('Pay', () => {
    okResponse(fixture('Pay.response.xml'), 'Pay', ALS, [{ State: 'Success', InvoiceId: '6666', PaymentId: 26 }]);
  });

  it('PayD: printed with PayResponse/PayResult wrappers, read as PayD', () => {
    okResponse(fixture('PayD.response.xml'), 'PayD', ALS, [
      { State: 'Success', InvoiceId: '888555', PaymentId: 26, PayResDate: '2016-01-15T10:59:00' },
    ]);
  });

  it('RollbackPayments and RollbackPaymentsBySysRef', () => {
    okResponse(fixture('RollbackPayments.response.xml'), 'RollbackPayments', ALS, [{ PaymentId: 4, Result: 'PaymentNotFound' }]);
    okResponse(fixture('RollbackPaymentsBySysRef.response.xml'), 'RollbackPaymentsBySysRef', ALS, [
      { PaymentId: '4', Result: 'PaymentNotFound' },
    ]);
  });

  it('GetPaymentsInfo', () => {
    okResponse(fixture('GetPaymentsInfo.response.xml'), 'GetPaymentsInfo', ALS, [{ PaymentId: 1, SysRef: '54654545' }]);
  });

  it('GetAccountState', () => {
    okResponse(fixture('GetAccountState.response.xml'), 'GetAccountState', ALS, 'NotFound');
  });

  it('GetAccountInfo: SOAP 1.2 help-page template', () => {
    const raw = fixture('GetAccountInfo.response.xml');
    expect(decodeAlsecoResponse('GetAccountInfo', raw)).toMatchObject({ kind: 'malformed', reason: 'invalid-value' });
    const filled = repair(raw, [
      ['<Square>decimal</Square>', '<Square>44.50</Square>'],
      ['<QuantityPeople>int</QuantityPeople>', '<QuantityPeople>3</QuantityPeople>'],
    ]);
    okResponse(filled, 'GetAccountInfo', AST, {
      Name: 'string', Address: 'string', RNN: 'string', Phone: 'string', Square: '44.50', QuantityPeople: 3,
    }, '1.2');
  });

  it('GetPrintedInvoice: the placeholder "base64Binary" happens to be valid base64', () => {
    okResponse(fixture('GetPrintedInvoice.response.xml'), 'GetPrintedInvoice', AST, Uint8Array.from(Buffer.from('base64Binary', 'base64')));
  });

  it('GetNotMovedPays', () => {
    okResponse(fixture('GetNotMovedPays.response.xml'), 'GetNotMovedPays', AST, [
      {
        InvoicePaymentId: 8366535, InvoiceId: '180310134655', AccountId: 2429284, SysRef: '847076835',
        PaymentDate: '2018-03-25T23:59:00', PaySum: 17_731n, PaymentReceiveDate: '2018-03-26T00:00:00',
      },
      {
        InvoicePaymentId: 8366537, InvoiceId: '180310145089', AccountId: 1988565, SysRef: '847077095',
        PaymentDate: '2018-03-26T00:00:00', PaySum: 15_832n, PaymentReceiveDate: '2018-03-26T00:00:00',
      },
    ]);
  });

  it('GetBankDayChecks', () => {
    okResponse(fixture('GetBankDayChecks.response.xml'), 'GetBankDayChecks', AST, [
      { BankCode: 'ALSC', PaymentDate: '2018-03-26T00:00:00', CheckedSign: true },
    ]);
  });
});
