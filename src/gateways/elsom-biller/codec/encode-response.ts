/** Elsom biller codec — Gateway side, message → bytes: encodeElsomResponse. */
import { formatAmount } from '../../../domain/money.ts';
import { formatElsomRegistryDateTime, formatElsomServerTime } from './dates.ts';
import { type ElsomPaymentListRow, type ElsomResponse, type ElsomResponseTo } from './messages.ts';
import { extraOut, leaf, present, renderDocument, type XmlOut } from './xml-write.ts';

function optionalAmount(minor: bigint | undefined): string | undefined {
  return minor === undefined ? undefined : formatAmount(minor, 2);
}

function responseExtras(response: ElsomResponse): (XmlOut | undefined)[] {
  const serverTime = response.serverTime === undefined ? undefined : formatElsomServerTime(response.serverTime);
  return [
    extraOut('REMOTE_ADDR', response.remoteAddr),
    extraOut('serial', response.serial),
    extraOut('BALANCE', optionalAmount(response.balanceMinor)),
    extraOut('OVERDRAFT', optionalAmount(response.overdraftMinor)),
    extraOut('disp1', response.disp1),
    extraOut('user_name', response.userName),
    extraOut('ServerTime', serverTime),
    ...(response.extras ?? []).map((extra) => extraOut(extra.name, extra.value)),
  ];
}

function responseTo(to: ElsomResponseTo | undefined): XmlOut | undefined {
  if (to === undefined) return undefined;
  if ('text' in to) return { name: 'to', text: to.text };
  const children = present([
    leaf('service-id', to.serviceId),
    leaf('amount', optionalAmount(to.amountMinor)),
    leaf('account-number', to.accountNumber),
  ]);
  return { name: 'to', children };
}

function registryRow(row: ElsomPaymentListRow): XmlOut {
  return {
    name: 'row',
    children: [
      { name: 'transaction-number', text: row.transactionNumber },
      { name: 'datetime', text: formatElsomRegistryDateTime(row.datetime) },
      { name: 'account-number', text: row.accountNumber },
      { name: 'amount', text: formatAmount(row.amountMinor, 2) },
    ],
  };
}

function responseChildren(response: ElsomResponse): XmlOut[] {
  return present([
    leaf('protocol-version', response.protocolVersion),
    leaf('configuration-id', response.configurationId),
    leaf('request-type', response.requestType),
    leaf('terminal-id', response.terminalId),
    leaf('result-code', response.resultCode),
    leaf('operator-id', response.operatorId),
    ...responseExtras(response),
    leaf('status-id', response.statusId),
    leaf('transaction-number', response.transactionNumber),
    leaf('txn-id', response.txnId),
    responseTo(response.to),
    response.rows === undefined ? undefined : { name: 'rows', children: response.rows.map(registryRow) },
  ]);
}

/** Gateway side: always `<?xml version="1.0" encoding="windows-1251"?>` and windows-1251 bytes. */
export function encodeElsomResponse(response: ElsomResponse): Buffer {
  return renderDocument({ name: 'response', children: responseChildren(response) }, 'windows-1251');
}
