/** Elsom biller codec — Gateway side, bytes → message: decodeElsomRequest. */
import { assertNever } from '../../../domain/assert.ts';
import { decodeBody } from './charset.ts';
import {
  digits, dropUndefined, extraText, optionalText, otherExtras, readExtras, readRequestAmount, requiredCompactDate,
  requiredElement, requiredExtra, requiredText, varchar,
} from './fields.ts';
import {
  type ElsomDecodeOptions, type ElsomRequest, type ElsomRequestDecodeResult, type ElsomRequestEcho, type
  ElsomTransferFields,
} from './messages.ts';
import { ElsomRefusal, refuse } from './refusals.ts';
import { ELSOM_DEFAULT_MAX_BYTES, type ElsomRequestType, isRequestType } from './tables.ts';
import { parseXmlDocument, type XmlElement } from './xml-read.ts';

const KNOWN_REQUEST_EXTRAS: ReadonlySet<string> = new Set([
  'login',
  'password-md5',
  'client-software',
  'update_condition',
]);

/** request-type is Number(2): one or two digits naming a known type. */
function parseRequestType(text: string | undefined): ElsomRequestType | undefined {
  const value = text !== undefined && /^\d{1,2}$/.test(text) ? Number(text) : Number.NaN;
  return isRequestType(value) ? value : undefined;
}

function readRequestType(root: XmlElement): ElsomRequestType {
  const text = requiredText(root, 'request-type', varchar(100));
  return parseRequestType(text) ?? refuse('unknown_request_type', text);
}

function readRequestBase(root: XmlElement, extras: ReadonlyMap<string, string>) {
  const protocolVersion = optionalText(root, 'protocol-version', varchar(5));
  const clientSoftware = extraText(extras, 'client-software', varchar(100));
  return {
    ...(protocolVersion === undefined ? {} : { protocolVersion }),
    terminalId: requiredText(root, 'terminal-id', digits(10)),
    login: requiredExtra(extras, 'login', varchar(100)),
    passwordMd5: requiredExtra(extras, 'password-md5', varchar(100)),
    ...(clientSoftware === undefined ? {} : { clientSoftware }),
    extras: otherExtras(extras, KNOWN_REQUEST_EXTRAS),
  };
}

function readTransfer(root: XmlElement): ElsomTransferFields {
  const from = requiredElement(root, 'from');
  const to = requiredElement(root, 'to');
  const receipt = requiredElement(root, 'receipt');
  const toAmount = readRequestAmount(to, 'to', true);
  return {
    transactionNumber: requiredText(root, 'transaction-number', varchar(30)),
    from: readRequestAmount(from, 'from', false),
    to: {
      serviceId: requiredText(to, 'service-id', varchar(100), 'to/service-id'),
      accountNumber: requiredText(to, 'account-number', varchar(100), 'to/account-number'),
      amountMinor: toAmount.amountMinor,
      currencyCode: toAmount.currencyCode ?? refuse('missing_field', 'to/amount@currency-code'),
    },
    receipt: {
      datetime: requiredCompactDate(receipt, 'datetime', 'receipt/datetime'),
      receiptNumber: requiredText(receipt, 'receipt-number', varchar(100), 'receipt/receipt-number'),
    },
  };
}

function readRequest(root: XmlElement): ElsomRequest {
  if (root.name !== 'request') refuse('unexpected_root', root.name);
  const requestType = readRequestType(root);
  const extras = readExtras(root);
  const base = readRequestBase(root, extras);
  switch (requestType) {
    case 1: {
      const updateCondition = extraText(extras, 'update_condition', varchar(20));
      return { requestType, ...base, ...readTransfer(root), ...(updateCondition === undefined ? {} : { updateCondition }) };
    }
    case 2:
      return { requestType, ...base, ...readTransfer(root) };
    case 3:
      return {
        requestType,
        ...base,
        serviceId: requiredText(root, 'service-id', varchar(30)),
        transactionNumber: requiredText(root, 'transaction-number', varchar(30)),
      };
    case 4:
      return {
        requestType,
        ...base,
        serviceId: requiredText(root, 'service-id', varchar(30)),
        datetimeFrom: requiredCompactDate(root, 'datetime-from'),
        datetimeTo: requiredCompactDate(root, 'datetime-to'),
      };
  }
  return assertNever(requestType, 'request-type');
}

/** Best effort, never throws: what a refusal can echo back. */
function readEcho(root: XmlElement | undefined): ElsomRequestEcho {
  if (root === undefined) return {};
  const raw = (name: string) =>
    root.children.find((child) => child.name === name && child.children.length === 0)?.text || undefined;
  return dropUndefined<ElsomRequestEcho>({
    protocolVersion: raw('protocol-version'),
    requestType: parseRequestType(raw('request-type')),
    terminalId: raw('terminal-id'),
    transactionNumber: raw('transaction-number'),
  });
}

/**
 * Gateway side: one Elsom request body → a typed request, or the result code to refuse it with
 * (202 for anything unreadable or incomplete, 275 for an amount that is not a positive decimal with ≤ 2 places).
 */
export function decodeElsomRequest(
  bytes: Buffer,
  contentType?: string,
  options: ElsomDecodeOptions = {},
): ElsomRequestDecodeResult {
  let root: XmlElement | undefined;
  try {
    const { charset, text } = decodeBody(bytes, contentType, options.maxBytes ?? ELSOM_DEFAULT_MAX_BYTES);
    root = parseXmlDocument(text);
    return { ok: true, request: readRequest(root), charset };
  } catch (error) {
    if (!(error instanceof ElsomRefusal)) throw error;
    return { ok: false, failure: { ...error.failure, echo: readEcho(root) } };
  }
}
