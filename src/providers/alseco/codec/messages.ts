/**
 * Alseco's messages, element for element, as the partner spec (alseco-soap.txt) shows them. Types are named after
 * Alseco's own elements; each is inferred from the schema that the codec reads and writes.
 * Where the spec gives no example (LastVers, PayD request, GetCurrentPeriod), see README.md "Inferred".
 */
import {
  ANY_STRING, BASE64, BOOLEAN, DATE_TIME, DECIMAL, DOT_DATE, INT, MONEY, STRING,
  list, nil, obj, oneOf, opt, req,
  type Field, type FieldValue, type Infer, type ObjectNode,
} from './schema.ts';

/** The two service namespaces, exactly as the spec writes them (note "Payments" vs "Payment"). */
export const ALSECO_NAMESPACES = {
  AlsecoPaymentsService: 'http://www.alseco.kz/AlsecoPaymentsService/',
  AstanaErcPaymentService: 'http://www.alseco.kz/AstanaErcPaymentService/',
} as const;

export type AlsecoServiceName = keyof typeof ALSECO_NAMESPACES;
export type AlsecoNamespace = (typeof ALSECO_NAMESPACES)[AlsecoServiceName];

export function isAlsecoNamespace(uri: string): uri is AlsecoNamespace {
  return uri === ALSECO_NAMESPACES.AlsecoPaymentsService || uri === ALSECO_NAMESPACES.AstanaErcPaymentService;
}

// ── states ────────────────────────────────────────────────────────────────────────────────────────────────────

/** "Состояние операции" of invoice look-ups and payments (one .NET enum; each method uses a subset). */
export const ALSECO_OPERATION_STATES = [
  'Success', 'InvoicesNotFormed', 'AccountNotFound', 'AccountIsDeleted', 'AccountIsMerged', 'InvoiceNotFound',
] as const;
export type AlsecoOperationState = (typeof ALSECO_OPERATION_STATES)[number];

export const ALSECO_ROLLBACK_RESULTS = ['Success', 'PaymentNotFound', 'PaymentProcessed'] as const;
export type AlsecoRollbackResult = (typeof ALSECO_ROLLBACK_RESULTS)[number];

export const ALSECO_ACCOUNT_STATES = ['Active', 'NotFound', 'Deleted', 'Merged'] as const;
export type AlsecoAccountState = (typeof ALSECO_ACCOUNT_STATES)[number];

const OPERATION_STATE = oneOf(ALSECO_OPERATION_STATES);
const ROLLBACK_RESULT = oneOf(ALSECO_ROLLBACK_RESULTS);
const ACCOUNT_STATE = oneOf(ALSECO_ACCOUNT_STATES);

// ── invoices (GetInvoicesByAccounts* / GetInvoicesByInvoices*) ─────────────────────────────────────────────────

const invoiceParameter = obj({
  ServiceId: req(INT),
  ServiceName: opt(STRING),
  IsCounterService: req(BOOLEAN),
  Measure: opt(STRING),
  Tariff: req(DECIMAL),
  ExpireDateInfo: opt(STRING),
  AvgPaySum: req(MONEY),
  AvgCount: req(DECIMAL),
  LastCount: req(DECIMAL),
  PrevCount: req(DECIMAL),
  FixCount: req(DECIMAL),
  FixSum: req(MONEY),
  DebtInfo: opt(STRING),
  /** Shown for one service of the example only: optional. */
  PaySum: opt(MONEY),
});
export type AlsecoInvoiceParameter = Infer<typeof invoiceParameter>;

const invoice = obj({
  /** Sic: "InvoceId" is the partner's element name. */
  InvoceId: req(STRING),
  FormedDate: req(DATE_TIME),
  ExpireDate: req(DATE_TIME),
  InvoiceParameters: req(list('InvoiceParameter', invoiceParameter)),
});
export type AlsecoInvoice = Infer<typeof invoice>;

const calculationParameter = obj({
  ParameterId: req(INT),
  ParameterName: opt(STRING),
  ParameterValue: req(DECIMAL),
});
export type AlsecoCalculationParameter = Infer<typeof calculationParameter>;

const accountInvoices = obj({
  /** Only the WithIIN (and LastVers) methods fill it. */
  IIN: opt(STRING),
  AccountId: req(INT),
  /** Name and address of the subscriber in one string. */
  AccountAddress: opt(STRING),
  Invoices: req(list('Invoice', invoice)),
  CalculationParameters: req(list('CalculationParameter', calculationParameter)),
});
export type AlsecoAccountInvoices = Infer<typeof accountInvoices>;

const resultAccountInvoicesOfInt32 = obj({
  InputValue: req(INT),
  State: req(OPERATION_STATE),
  AccountInvoices: opt(accountInvoices),
});
export type AlsecoResultAccountInvoicesOfInt32 = Infer<typeof resultAccountInvoicesOfInt32>;

const resultAccountInvoicesOfString = obj({
  InputValue: req(STRING),
  State: req(OPERATION_STATE),
  AccountInvoices: opt(accountInvoices),
});
export type AlsecoResultAccountInvoicesOfString = Infer<typeof resultAccountInvoicesOfString>;

const byAccountsRequest = obj({ accounts: req(list('int', INT)), bankCode: req(STRING) });
const byInvoicesRequest = obj({ inputInvoices: req(list('string', STRING)), bankCode: req(STRING) });
export type AlsecoGetInvoicesByAccountsRequest = Infer<typeof byAccountsRequest>;
export type AlsecoGetInvoicesByInvoicesRequest = Infer<typeof byInvoicesRequest>;

// ── payments (Pay / PayD) ──────────────────────────────────────────────────────────────────────────────────────

const paymentParameter = obj({
  ServiceId: req(INT),
  /** Meter reading to pay (last minus previous). */
  PayCounts: req(DECIMAL),
  LastCounts: req(DECIMAL),
  PaySum: req(MONEY),
});
export type AlsecoPaymentParameter = Infer<typeof paymentParameter>;

const paymentDocument = obj({
  AccountId: req(INT),
  InvoiceId: req(STRING),
  PaymentDate: req(DATE_TIME),
  /** The bank's unique operation id; Tolem sends its transactionId. */
  SysRef: req(ANY_STRING),
  PaymentParameters: req(list('PaymentParameter', paymentParameter)),
});
export type AlsecoPaymentDocument = Infer<typeof paymentDocument>;

const payRequest = obj({ paymentDocuments: req(list('PaymentDocument', paymentDocument)), bankCode: req(STRING) });
export type AlsecoPayRequest = Infer<typeof payRequest>;

const resultPaymentInvoice = obj({ State: req(OPERATION_STATE), InvoiceId: req(STRING), PaymentId: req(INT) });
export type AlsecoResultPaymentInvoice = Infer<typeof resultPaymentInvoice>;

const resultPaymentInvoiceD = obj({
  State: req(OPERATION_STATE), InvoiceId: req(STRING), PaymentId: req(INT), PayResDate: req(DATE_TIME),
});
export type AlsecoResultPaymentInvoiceD = Infer<typeof resultPaymentInvoiceD>;

// ── rollbacks ──────────────────────────────────────────────────────────────────────────────────────────────────

const rollbackRequest = obj({ paymentIds: req(list('int', INT)), bankCode: req(STRING) });
const rollbackBySysRefRequest = obj({ sysRefs: req(list('string', STRING)), bankCode: req(STRING) });
export type AlsecoRollbackPaymentsRequest = Infer<typeof rollbackRequest>;
export type AlsecoRollbackPaymentsBySysRefRequest = Infer<typeof rollbackBySysRefRequest>;

const resultRollbackPaymentOfInt32 = obj({ PaymentId: req(INT), Result: req(ROLLBACK_RESULT) });
/** In the BySysRef answer, PaymentId carries the SysRef that was sent. */
const resultRollbackPaymentOfString = obj({ PaymentId: req(STRING), Result: req(ROLLBACK_RESULT) });
export type AlsecoResultRollbackPaymentOfInt32 = Infer<typeof resultRollbackPaymentOfInt32>;
export type AlsecoResultRollbackPaymentOfString = Infer<typeof resultRollbackPaymentOfString>;

// ── payment information and reconciliation ─────────────────────────────────────────────────────────────────────

const getPaymentsInfoRequest = obj({ year: req(INT), month: req(INT), day: nil(INT), bankCode: req(STRING) });
export type AlsecoGetPaymentsInfoRequest = Infer<typeof getPaymentsInfoRequest>;
const paymentInfo = obj({ PaymentId: req(INT), SysRef: req(STRING) });
export type AlsecoPaymentInfo = Infer<typeof paymentInfo>;

const getPaysInfoRequest = obj({ bankCode: req(STRING), DateBegin: req(DATE_TIME), DateEnd: req(DATE_TIME) });
export type AlsecoGetPaysInfoRequest = Infer<typeof getPaysInfoRequest>;
const bankPayInfo = obj({
  AccountId: req(INT), InvoiceId: req(STRING), PaymentId: req(INT), SysRef: req(STRING),
  PaySum: req(MONEY), PayDate: req(DATE_TIME),
});
export type AlsecoBankPayInfo = Infer<typeof bankPayInfo>;

const bankYearMonthRequest = obj({ bankCode: req(STRING), year: req(INT), month: req(INT) });
export type AlsecoBankYearMonthRequest = Infer<typeof bankYearMonthRequest>;
const payItem = obj({
  InvoicePaymentId: req(INT), AccountId: req(INT), InvoiceId: req(STRING), PaymentReceiveDate: req(DATE_TIME),
  SysRef: req(STRING), PaySum: req(MONEY),
});
export type AlsecoPayItem = Infer<typeof payItem>;
const bankPayByMonthResult = obj({
  result: req(BOOLEAN), ErrorMessage: opt(STRING), StackTrace: opt(STRING), list: req(list('PayItem', payItem)),
});
export type AlsecoGetBankPayByMonthResult = Infer<typeof bankPayByMonthResult>;

/** GetNotMovedPays, GetBankDayChecks, GetReport108e: bank code and a day (dateIn is an xs:dateTime on the wire). */
const bankDateInRequest = obj({ bankCode: req(STRING), dateIn: req(DATE_TIME) });
export type AlsecoBankDateInRequest = Infer<typeof bankDateInRequest>;

const resultNotMovedPays = obj({
  InvoicePaymentId: req(INT), InvoiceId: req(STRING), AccountId: req(INT), SysRef: req(STRING),
  PaymentDate: req(DATE_TIME), PaySum: req(MONEY), PaymentReceiveDate: req(DATE_TIME),
});
export type AlsecoResultNotMovedPays = Infer<typeof resultNotMovedPays>;

const resultBankDayCheck = obj({ BankCode: req(STRING), PaymentDate: req(DATE_TIME), CheckedSign: req(BOOLEAN) });
export type AlsecoResultBankDayCheck = Infer<typeof resultBankDayCheck>;

const form108eItems = obj({
  DAT: req(DOT_DATE), KODBN: opt(STRING), NUMRS: opt(STRING), TSH: opt(STRING), BIN: opt(STRING),
  SUMP: req(MONEY), NAME_POL: opt(STRING), NAZN_PL: opt(STRING), SERV_ID: req(INT), KODD: opt(STRING),
  FL: req(BOOLEAN), KBE: opt(STRING), KNP: opt(STRING), IIN_ABON: opt(STRING), FIO: opt(STRING),
});
export type AlsecoForm108eItems = Infer<typeof form108eItems>;
const report108eResult = obj({
  /** Free text: the example says "sucsess" (sic); errors come as text too. */
  result: opt(STRING),
  list: req(list('Form108eItems', form108eItems)),
  ErrorMessage: opt(STRING),
  StackTrace: opt(STRING),
});
export type AlsecoGetReport108eResult = Infer<typeof report108eResult>;

// ── account, printed invoices, period, bills ───────────────────────────────────────────────────────────────────

const accountRequest = obj({ accountId: req(INT), bankCode: req(STRING) });
export type AlsecoAccountRequest = Infer<typeof accountRequest>;

const accountInfo = obj({
  Name: opt(STRING), Address: opt(STRING), RNN: opt(STRING), Phone: opt(STRING),
  Square: req(DECIMAL), QuantityPeople: req(INT),
});
export type AlsecoAccountInfo = Infer<typeof accountInfo>;

const printedInvoiceRequest = obj({
  accountId: req(INT), bill_id: req(INT), year: req(INT), month: req(INT), bankCode: req(STRING),
});
export type AlsecoGetPrintedInvoiceRequest = Infer<typeof printedInvoiceRequest>;
const printedInvoicePdfRequest = obj({ accountId: req(INT), year: req(INT), month: req(INT), bankCode: req(STRING) });
export type AlsecoGetPrintedInvoicePdfRequest = Infer<typeof printedInvoicePdfRequest>;

const bankCodeRequest = obj({ bankCode: req(STRING) });
export type AlsecoBankCodeRequest = Infer<typeof bankCodeRequest>;

const exRes = obj({ Executed: req(BOOLEAN), ErrorMessage: opt(STRING), StackTrace: opt(STRING) });
export type AlsecoExRes = Infer<typeof exRes>;

const billInfoLabels = obj({ labelId: req(INT) });
export type AlsecoBillInfoLabels = Infer<typeof billInfoLabels>;
const billInfoLabelsResult = obj({ exRes: req(exRes), list: req(list('BillInfoLabels', billInfoLabels)) });
export type AlsecoGetBillInfoLabelsResult = Infer<typeof billInfoLabelsResult>;

const billInfoRequest = obj({ bankCode: req(STRING), year: req(INT), month: req(INT), labelId: req(INT) });
export type AlsecoGetBillInfoRequest = Infer<typeof billInfoRequest>;
const billInfo = obj({
  accountId: req(INT), accountName: opt(STRING), accountAddress: opt(STRING), invoiceId: req(STRING),
  fixSum: req(MONEY),
});
export type AlsecoBillInfo = Infer<typeof billInfo>;
const billInfoResult = obj({ exRes: req(exRes), list: req(list('BillInfo', billInfo)) });
export type AlsecoGetBillInfoResult = Infer<typeof billInfoResult>;

// ── the method table ───────────────────────────────────────────────────────────────────────────────────────────

export interface AlsecoMethodSpec {
  /** The namespace the spec shows for this method; the other one is accepted and can be asked for. */
  readonly service: AlsecoServiceName;
  readonly request: ObjectNode;
  /** The `<Method>Result` element. */
  readonly result: Field;
  /** Other names seen in the spec for the response / result element (decode only). */
  readonly responseAliases?: readonly string[];
  readonly resultAliases?: readonly string[];
}

const invoicesOfInt32 = req(list('ResultAccountInvoicesOfInt32', resultAccountInvoicesOfInt32));
const invoicesOfString = req(list('ResultAccountInvoicesOfString', resultAccountInvoicesOfString));
const payments = req(list('ResultPaymentInvoice', resultPaymentInvoice));
const A = 'AlsecoPaymentsService';
const E = 'AstanaErcPaymentService';

export const ALSECO_METHODS = {
  GetInvoicesByAccountsNew: {
    service: A, request: byAccountsRequest, result: invoicesOfInt32,
    resultAliases: ['GetInvoicesByAccountsResultNew'],
  },
  GetInvoicesByAccountsWithIIN: { service: A, request: byAccountsRequest, result: invoicesOfInt32 },
  GetInvoicesByAccountsLastVers: { service: A, request: byAccountsRequest, result: invoicesOfInt32 },
  GetInvoicesByInvoicesNew: { service: A, request: byInvoicesRequest, result: invoicesOfString },
  GetInvoicesByInvoicesWithIIN: { service: A, request: byInvoicesRequest, result: invoicesOfString },
  GetInvoicesByInvoicesLastVers: { service: A, request: byInvoicesRequest, result: invoicesOfString },
  Pay: { service: A, request: payRequest, result: payments },
  PayD: {
    service: A, request: payRequest, result: req(list('ResultPaymentInvoiceD', resultPaymentInvoiceD)),
    responseAliases: ['PayResponse'], resultAliases: ['PayResult'],
  },
  RollbackPayments: {
    service: A, request: rollbackRequest,
    result: req(list('ResultRollbackPaymentOfInt32', resultRollbackPaymentOfInt32)),
  },
  RollbackPaymentsBySysRef: {
    service: A, request: rollbackBySysRefRequest,
    result: req(list('ResultRollbackPaymentOfString', resultRollbackPaymentOfString)),
  },
  GetPaymentsInfo: { service: A, request: getPaymentsInfoRequest, result: req(list('PaymentInfo', paymentInfo)) },
  getPaysInfo: { service: A, request: getPaysInfoRequest, result: req(list('BankPayInfo', bankPayInfo)) },
  GetBankPayByMonth: { service: A, request: bankYearMonthRequest, result: req(bankPayByMonthResult) },
  GetAccountState: { service: A, request: accountRequest, result: req(ACCOUNT_STATE) },
  GetAccountInfo: { service: E, request: accountRequest, result: opt(accountInfo) },
  GetPrintedInvoice: { service: E, request: printedInvoiceRequest, result: opt(BASE64) },
  GetPrintedInvoicePDF: { service: A, request: printedInvoicePdfRequest, result: opt(BASE64) },
  GetCurrentPeriod: { service: A, request: bankCodeRequest, result: opt(STRING) },
  GetAccountsWithFormedBill: { service: A, request: bankCodeRequest, result: req(list('int', INT)) },
  GetBillInfoLabels: { service: A, request: bankYearMonthRequest, result: req(billInfoLabelsResult) },
  GetBillInfo: { service: A, request: billInfoRequest, result: req(billInfoResult) },
  GetReport108e: { service: E, request: bankDateInRequest, result: req(report108eResult) },
  GetNotMovedPays: { service: E, request: bankDateInRequest, result: req(list('ResultNotMovedPays', resultNotMovedPays)) },
  GetBankDayChecks: { service: E, request: bankDateInRequest, result: req(list('ResultBankDayCheck', resultBankDayCheck)) },
} as const satisfies Record<string, AlsecoMethodSpec>;

type Methods = typeof ALSECO_METHODS;
export type AlsecoMethod = keyof Methods;

export const ALSECO_METHOD_NAMES = Object.keys(ALSECO_METHODS) as AlsecoMethod[];

export function isAlsecoMethod(name: string): name is AlsecoMethod {
  return Object.hasOwn(ALSECO_METHODS, name);
}

/** Parameters of a method, keyed by Alseco's element names (`accounts`, `bankCode`, `paymentDocuments`…). */
export type AlsecoParams<M extends AlsecoMethod> = Infer<Methods[M]['request']>;

/** The content of `<Method>Result`; optional results (a .NET null) are `undefined`. */
export type AlsecoResult<M extends AlsecoMethod> = Methods[M]['result'] extends Field<infer _S, 'optional'>
  ? FieldValue<Methods[M]['result']> | undefined
  : FieldValue<Methods[M]['result']>;

/** Every request as a discriminated union, as the simulator receives it. */
export type AlsecoRequest = { [M in AlsecoMethod]: { method: M; params: AlsecoParams<M> } }[AlsecoMethod];

/** Every response as a discriminated union, as the simulator answers it. */
export type AlsecoResponse = { [M in AlsecoMethod]: { method: M; result: AlsecoResult<M> } }[AlsecoMethod];
