/** Elsom biller codec — Wallet-simulator side, bytes → message: decodeElsomResponse. */
import { parseAmount } from '../../../domain/money.ts';
import { decodeBody } from './charset.ts';
import { parseElsomRegistryDateTime, parseElsomServerTime } from './dates.ts';
import {
  digits, dropUndefined, extraText, optionalText, otherExtras, readExtras, requiredText, single, varchar,
} from './fields.ts';
import {
  type ElsomDecodeOptions, type ElsomLocalDateTime, type ElsomPaymentListRow, type ElsomResponse, type
  ElsomResponseDecodeResult, type ElsomResponseTo,
} from './messages.ts';
import { ElsomRefusal, refuse } from './refusals.ts';
import { isElsomResultCode, isElsomStatusId, isRequestType } from './tables.ts';
import { parseXmlDocument, type XmlElement } from './xml-read.ts';

const KNOWN_RESPONSE_EXTRAS: ReadonlySet<string> = new Set([
  'REMOTE_ADDR',
  'serial',
  'BALANCE',
  'OVERDRAFT',
  'disp1',
  'user_name',
  'ServerTime',
]);

/** Balances may be zero or negative; payment amounts may not. */
function responseAmount(text: string, path: string, signed: boolean): bigint {
  const parsed = parseAmount(text, 2, { allowZero: signed, allowNegative: signed });
  return parsed.ok ? parsed.minor : refuse('invalid_amount', `${path}: ${parsed.error}`);
}

function optionalAmountOf(text: string | undefined, path: string, signed: boolean): bigint | undefined {
  return text === undefined ? undefined : responseAmount(text, path, signed);
}

function codeFrom<T extends number>(text: string | undefined, guard: (value: number) => value is T, path: string) {
  if (text === undefined) return undefined;
  const value = /^\d{1,6}$/.test(text) ? Number(text) : Number.NaN;
  return guard(value) ? value : refuse('invalid_field', `${path} ${text} is not in the spec's table`);
}


function readResponseTo(root: XmlElement): ElsomResponseTo | undefined {
  const to = single(root, 'to', 'to');
  if (to === undefined) return undefined;
  if (to.children.length === 0) return { text: to.text };
  return dropUndefined({
    serviceId: optionalText(to, 'service-id', varchar(100), 'to/service-id'),
    amountMinor: optionalAmountOf(optionalText(to, 'amount', varchar(30), 'to/amount'), 'to/amount', false),
    accountNumber: optionalText(to, 'account-number', varchar(100), 'to/account-number'),
  });
}

function readRow(row: XmlElement): ElsomPaymentListRow {
  const datetimeText = requiredText(row, 'datetime', varchar(100), 'row/datetime');
  return {
    transactionNumber: requiredText(row, 'transaction-number', varchar(30), 'row/transaction-number'),
    datetime: parseElsomRegistryDateTime(datetimeText) ?? refuse('invalid_field', `row/datetime ${datetimeText}`),
    accountNumber: requiredText(row, 'account-number', varchar(100), 'row/account-number'),
    amountMinor: responseAmount(requiredText(row, 'amount', varchar(30), 'row/amount'), 'row/amount', false),
  };
}

function readRows(root: XmlElement): ElsomPaymentListRow[] | undefined {
  const rows = single(root, 'rows', 'rows');
  return rows?.children.map((row) => (row.name === 'row' ? readRow(row) : refuse('invalid_field', row.name)));
}

function readServerTime(extras: ReadonlyMap<string, string>): ElsomLocalDateTime | undefined {
  const text = extraText(extras, 'ServerTime', varchar(30));
  if (text === undefined) return undefined;
  return parseElsomServerTime(text) ?? refuse('invalid_field', `extra ServerTime ${text}`);
}


function readResponseExtras(extras: ReadonlyMap<string, string>) {
  const others = otherExtras(extras, KNOWN_RESPONSE_EXTRAS);
  return {
    remoteAddr: extraText(extras, 'REMOTE_ADDR', varchar(100)),
    serial: extraText(extras, 'serial', varchar(100)),
    balanceMinor: optionalAmountOf(extraText(extras, 'BALANCE', varchar(30)), 'extra BALANCE', true),
    overdraftMinor: optionalAmountOf(extraText(extras, 'OVERDRAFT', varchar(30)), 'extra OVERDRAFT', true),
    disp1: extraText(extras, 'disp1', varchar(1000)),
    userName: extraText(extras, 'user_name', varchar(1000)),
    serverTime: readServerTime(extras),
    extras: others.length === 0 ? undefined : others,
  };
}

function readResponse(root: XmlElement): ElsomResponse {
  if (root.name !== 'response') refuse('unexpected_root', root.name);
  const resultCode = codeFrom(requiredText(root, 'result-code', varchar(6)), isElsomResultCode, 'result-code');
  return dropUndefined({
    protocolVersion: requiredText(root, 'protocol-version', varchar(5)),
    configurationId: optionalText(root, 'configuration-id', digits(20)),
    requestType: codeFrom(optionalText(root, 'request-type', varchar(2)), isRequestType, 'request-type'),
    terminalId: optionalText(root, 'terminal-id', digits(10)),
    resultCode: resultCode ?? refuse('missing_field', 'result-code'),
    operatorId: optionalText(root, 'operator-id', varchar(30)),
    ...readResponseExtras(readExtras(root)),
    statusId: codeFrom(optionalText(root, 'status-id', varchar(30)), isElsomStatusId, 'status-id'),
    transactionNumber: optionalText(root, 'transaction-number', varchar(30)),
    txnId: optionalText(root, 'txn-id', varchar(30)),
    to: readResponseTo(root),
    rows: readRows(root),
  });
}

/** Simulator side: a Tolem (biller) response body → typed response; strict, unknown codes are refused. */
export function decodeElsomResponse(
  bytes: Buffer,
  contentType?: string,
  options: ElsomDecodeOptions = {},
): ElsomResponseDecodeResult {
  try {
    const { charset, text } = decodeBody(bytes, contentType, options.maxBytes ?? Number.MAX_SAFE_INTEGER);
    return { ok: true, response: readResponse(parseXmlDocument(text)), charset };
  } catch (error) {
    if (!(error instanceof ElsomRefusal)) throw error;
    return { ok: false, failure: error.failure };
  }
}
