/** Elsom biller codec — Wallet-simulator side, message → bytes: encodeElsomRequest. */
import { assertNever } from '../../../domain/assert.ts';
import { formatAmount } from '../../../domain/money.ts';
import { formatElsomCompactDateTime } from './dates.ts';
import { type ElsomCharset, type ElsomRequest, type ElsomTransferFields } from './messages.ts';
import { extraOut, leaf, present, renderDocument, type XmlOut } from './xml-write.ts';

/** Whole amounts as Elsom writes them (`10`), others with two decimals (`10.50`). */
export function formatElsomRequestAmount(minor: bigint): string {
  return minor % 100n === 0n ? (minor / 100n).toString() : formatAmount(minor, 2);
}

function amountOut(amountMinor: bigint, currencyCode: number | undefined): XmlOut {
  const attributes: [string, string][] = currencyCode === undefined ? [] : [['currency-code', String(currencyCode)]];
  return { name: 'amount', attributes, text: formatElsomRequestAmount(amountMinor) };
}

function transferOut(request: ElsomTransferFields): XmlOut[] {
  return [
    { name: 'transaction-number', text: request.transactionNumber },
    { name: 'from', children: [amountOut(request.from.amountMinor, request.from.currencyCode)] },
    {
      name: 'to',
      children: [
        { name: 'service-id', text: request.to.serviceId },
        { name: 'account-number', text: request.to.accountNumber },
        amountOut(request.to.amountMinor, request.to.currencyCode),
      ],
    },
    {
      name: 'receipt',
      children: [
        { name: 'datetime', text: formatElsomCompactDateTime(request.receipt.datetime) },
        { name: 'receipt-number', text: request.receipt.receiptNumber },
      ],
    },
  ];
}

function requestBody(request: ElsomRequest): XmlOut[] {
  switch (request.requestType) {
    case 1:
    case 2:
      return transferOut(request);
    case 3:
      return present([leaf('service-id', request.serviceId), leaf('transaction-number', request.transactionNumber)]);
    case 4:
      return [
        { name: 'service-id', text: request.serviceId },
        { name: 'datetime-from', text: formatElsomCompactDateTime(request.datetimeFrom) },
        { name: 'datetime-to', text: formatElsomCompactDateTime(request.datetimeTo) },
      ];
  }
  return assertNever(request, 'request');
}

function requestHead(request: ElsomRequest): (XmlOut | undefined)[] {
  return [
    leaf('protocol-version', request.protocolVersion),
    leaf('request-type', request.requestType),
    leaf('terminal-id', request.terminalId),
    extraOut('login', request.login),
    extraOut('password-md5', request.passwordMd5),
    extraOut('client-software', request.clientSoftware),
    extraOut('update_condition', request.requestType === 1 ? request.updateCondition : undefined),
    ...request.extras.map((extra) => extraOut(extra.name, extra.value)),
  ];
}

/** Simulator side: a request as the Elsom wallet sends it; windows-1251 unless told otherwise. */
export function encodeElsomRequest(request: ElsomRequest, options: { charset?: ElsomCharset } = {}): Buffer {
  const children = present([...requestHead(request), ...requestBody(request)]);
  return renderDocument({ name: 'request', children }, options.charset ?? 'windows-1251');
}
