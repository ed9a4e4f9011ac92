import { parseAmount } from '../../../domain/money.ts';
import {
  ASSIST_KEY_SPELLINGS,
  canonicalAssistField,
  type AssistAnswerField,
  type AssistOrderRecord,
} from './fields.ts';
import { isObject, leafText, decodeXmlDocument } from './xml.ts';
import type { Failure } from '../../../domain/result.ts';
import { jsonScalarText, parseJsonLossless } from './json.ts';

/** Answer formats of the Assist web services (spec, charge table, parameter `Format`). 2 (WDDX) is not in the spec. */
export type AssistFormat = 'csv' | 'xml' | 'soap' | 'json';

export const ASSIST_FORMAT_CODE = { csv: '1', xml: '3', soap: '4', json: '5' } as const satisfies Record<
  AssistFormat,
  string
>;

export type AssistFormatCode = (typeof ASSIST_FORMAT_CODE)[AssistFormat];

/**
 * An answer as read off the wire, before any meaning is given to it.
 * - `processed`: firstcode = secondcode = 0 (or absent, as in the CSV and SOAP examples); the orders carry the result;
 * - `not_processed`: non-zero firstcode/secondcode: "the request could not be processed" (spec, after the XML example);
 * - `unreadable`: empty, HTML, truncated, malformed: the outcome is unknown.
 */
export type AssistAnswer =
  | { kind: 'processed'; firstcode: string | undefined; secondcode: string | undefined; orders: AssistOrderRecord[] }
  | { kind: 'not_processed'; firstcode: string; secondcode: string }
  | Failure<'unreadable'>;

const unreadable = (detail: string): AssistAnswer => ({ kind: 'unreadable', detail });

const ANSWER_READERS = {
  xml: parseXmlAnswer,
  soap: parseSoapAnswer,
  json: parseJsonAnswer,
  csv: parseCsvAnswer,
} satisfies Record<AssistFormat, (body: string) => AssistAnswer>;

/** Reads an answer in the given format. Never throws: anything it cannot read is `unreadable`. */
export function decodeAssistAnswer(body: string, format: AssistFormat): AssistAnswer {
  const read = ANSWER_READERS[format];
  if (body.trim() === '') return unreadable('empty body');
  try {
    return read(body);
  } catch (error) {
    return unreadable(`parser failure: ${error instanceof Error ? error.message : String(error)}`);
  }
}

// ── codes ──────────────────────────────────────────────────────────────────────────────────────────────────────────

const CODE = /^\d{1,9}$/;

function withCodes(
  firstcode: string | undefined,
  secondcode: string | undefined,
  orders: AssistOrderRecord[],
): AssistAnswer {
  if (firstcode === undefined && secondcode === undefined) {
    return { kind: 'processed', firstcode, secondcode, orders };
  }
  const first = (firstcode ?? '0').trim();
  const second = (secondcode ?? '0').trim();
  if (!CODE.test(first) || !CODE.test(second)) return unreadable(`bad firstcode/secondcode "${first}"/"${second}"`);
  if (Number(first) !== 0 || Number(second) !== 0) return { kind: 'not_processed', firstcode: first, secondcode: second };
  return { kind: 'processed', firstcode: first, secondcode: second, orders };
}

// ── records ────────────────────────────────────────────────────────────────────────────────────────────────────────

type FieldReader = (value: unknown) => string | undefined;

/** Builds a record from an element/object; unknown keys are skipped, a repeated or non-text known field is refused. */
function recordFrom(node: Record<string, unknown>, read: FieldReader): AssistOrderRecord | undefined {
  const record: AssistOrderRecord = {};
  for (const [key, value] of Object.entries(node)) {
    const field = canonicalAssistField(key);
    if (!field) continue;
    const text = read(value);
    if (text === undefined || record[field] !== undefined) return undefined;
    record[field] = text;
  }
  return record;
}

function recordsFrom(nodes: unknown, read: FieldReader): AssistOrderRecord[] | undefined {
  const list = Array.isArray(nodes) ? nodes : [nodes];
  const records: AssistOrderRecord[] = [];
  for (const node of list) {
    const record = isObject(node) ? recordFrom(node, read) : undefined;
    if (!record) return undefined;
    records.push(record);
  }
  return records;
}

// ── XML (Format=3) ─────────────────────────────────────────────────────────────────────────────────────────────────

function parseXmlAnswer(body: string): AssistAnswer {
  const doc = decodeXmlDocument(body);
  if (!doc.ok) return unreadable(doc.failure.detail);
  const result = doc.value['result'];
  if (!isObject(result)) return unreadable('no <result> root');
  const firstcode = leafAttr(result['@_firstcode']);
  const secondcode = leafAttr(result['@_secondcode']);
  if (firstcode === undefined || secondcode === undefined) return unreadable('<result> without firstcode/secondcode');
  const orders = xmlOrders(result);
  if (!orders) return unreadable('malformed <order>');
  return withCodes(firstcode, secondcode, orders);
}

const leafAttr = (value: unknown): string | undefined => (typeof value === 'string' ? value.trim() : undefined);

/** `<result><orders><order>…` as in the charge example; order-state answers are also seen as `<result><order>`. */
function xmlOrders(result: Record<string, unknown>): AssistOrderRecord[] | undefined {
  const orders = result['orders'];
  if (orders === undefined || orders === '') {
    return result['order'] === undefined ? [] : recordsFrom(result['order'], leafText);
  }
  if (!isObject(orders)) return undefined;
  return orders['order'] === undefined ? [] : recordsFrom(orders['order'], leafText);
}

// ── SOAP (Format=4) ────────────────────────────────────────────────────────────────────────────────────────────────

function parseSoapAnswer(body: string): AssistAnswer {
  const doc = decodeXmlDocument(body);
  if (!doc.ok) return unreadable(doc.failure.detail);
  const envelope = doc.value['Envelope'];
  const soapBody = isObject(envelope) ? envelope['Body'] : undefined;
  if (!isObject(soapBody)) return unreadable('no SOAP Body');
  if (soapBody['Fault'] !== undefined) return unreadable(`SOAP Fault: ${faultText(soapBody['Fault'])}`);
  const response = Object.entries(soapBody).find(([key]) => key.endsWith('Response'))?.[1];
  if (!isObject(response)) return unreadable('no *Response element in SOAP Body');
  const returned = response['return'];
  if (returned === undefined) return unreadable('no <return> in SOAP response');
  const orders = recordsFrom(returned, leafText);
  return orders ? withCodes(undefined, undefined, orders) : unreadable('malformed <return>');
}

function faultText(fault: unknown): string {
  if (!isObject(fault)) return 'no detail';
  return leafText(fault['faultstring']) ?? leafText(fault['faultcode']) ?? 'no detail';
}

// ── JSON (Format=5) ────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * The spec shows no JSON answer. Accepted shapes: the XML structure mirrored
 * (`{firstcode, secondcode, count, orders: [ {…} ] | {order: …}}`, optionally under `result`) and a flat order
 * object (as Assist's PHP SDK reads it), with or without firstcode/secondcode beside the fields.
 */
function parseJsonAnswer(body: string): AssistAnswer {
  const parsed = parseJsonLossless(body.trim());
  if (!isObject(parsed)) return unreadable('not a JSON object');
  const top = isObject(parsed['result']) ? parsed['result'] : parsed;
  const firstcode = codeText(top['firstcode']);
  const secondcode = codeText(top['secondcode']);
  if (firstcode === null || secondcode === null) return unreadable('bad firstcode/secondcode');
  const orders = jsonOrders(top);
  if (!orders) return unreadable('malformed orders');
  if (orders.length === 0 && firstcode === undefined && secondcode === undefined) return unreadable('no order, no codes');
  return withCodes(firstcode, secondcode, orders);
}

/** undefined when absent, null when present but not a scalar. */
function codeText(value: unknown): string | undefined | null {
  if (value === undefined) return undefined;
  return jsonScalarText(value) ?? null;
}

function jsonOrders(top: Record<string, unknown>): AssistOrderRecord[] | undefined {
  const orders = top['orders'];
  if (orders !== undefined) {
    const inner = isObject(orders) ? orders['order'] : orders;
    return inner === undefined || inner === null ? [] : recordsFrom(inner, jsonScalarText);
  }
  const flat = recordFrom(top, jsonScalarText);
  if (!flat) return undefined;
  return Object.keys(flat).length === 0 ? [] : [flat];
}

// ── "CSV" (Format=1) ───────────────────────────────────────────────────────────────────────────────────────────────

const KEY_PATTERN = new RegExp(
  `(?<![A-Za-z0-9_])(${[...ASSIST_KEY_SPELLINGS, 'firstcode', 'secondcode'].join('|')})\\s*:`,
  'gi',
);

/**
 * The spec's CSV example is not comma-separated: it is `key: value` pairs, wrapped at arbitrary places. Keys are
 * found by name (a value may be empty, as in `recommendation: message:`); runs of whitespace in values are collapsed.
 * A key seen twice makes the answer unreadable (a value may have contained "key:").
 */
function parseCsvAnswer(body: string): AssistAnswer {
  if (/^\s*</.test(body)) return unreadable('markup where key-value text was expected');
  const matches = [...body.matchAll(KEY_PATTERN)];
  const first = matches[0];
  if (!first || body.slice(0, first.index).trim() !== '') return unreadable('no key-value pairs');
  const pairs = new Map<string, string>();
  for (const [i, match] of matches.entries()) {
    const start = match.index + match[0].length;
    const end = matches[i + 1]?.index ?? body.length;
    const key = (match[1] ?? '').toLowerCase();
    if (pairs.has(key)) return unreadable(`key "${key}" repeated`);
    pairs.set(key, body.slice(start, end).replace(/\s+/g, ' ').trim());
  }
  return csvAnswerFrom(pairs);
}

function csvAnswerFrom(pairs: Map<string, string>): AssistAnswer {
  const record: AssistOrderRecord = {};
  for (const [key, value] of pairs) {
    const field = canonicalAssistField(key);
    if (field && record[field] !== undefined) return unreadable(`field "${field}" repeated`);
    if (field) record[field] = value;
  }
  const orders = Object.keys(record).length === 0 ? [] : [record];
  // Plain text has no closing tag: the spec's example always ends with `signature:`, so its absence means truncation.
  if (orders.length > 0 && record.signature === undefined) return unreadable('no signature field (truncated?)');
  return withCodes(pairs.get('firstcode'), pairs.get('secondcode'), orders);
}

// ── typed view of one order ────────────────────────────────────────────────────────────────────────────────────────

/** One order of an answer with amounts as exact minor units (scale 2: "два знака после разделителя"). */
export interface AssistOrderResult {
  readonly record: AssistOrderRecord;
  readonly ordernumber: string | undefined;
  readonly billnumber: string | undefined;
  readonly responsecode: string | undefined;
  readonly orderstate: string | undefined;
  readonly amountMinor: bigint | undefined;
  readonly currency: string | undefined;
  readonly orderamountMinor: bigint | undefined;
  readonly ordercurrency: string | undefined;
  readonly approvalcode: string | undefined;
  readonly meannumber: string | undefined;
  readonly packetdate: string | undefined;
  readonly signature: string | undefined;
  readonly message: string | undefined;
  readonly customermessage: string | undefined;
  /** Fields present but unreadable (an amount like "10.001" or "abc"): such an answer is never trusted. */
  readonly malformed: readonly AssistAnswerField[];
}

const nonEmpty = (text: string | undefined): string | undefined => (text === undefined || text === '' ? undefined : text);

export function readAssistOrder(record: AssistOrderRecord): AssistOrderResult {
  const malformed: AssistAnswerField[] = [];
  const amount = (field: 'amount' | 'orderamount'): bigint | undefined => {
    const text = nonEmpty(record[field]);
    if (text === undefined) return undefined;
    const parsed = parseAmount(text, 2, { allowZero: true });
    if (parsed.ok) return parsed.minor;
    malformed.push(field);
    return undefined;
  };
  return {
    record,
    ordernumber: nonEmpty(record.ordernumber),
    billnumber: nonEmpty(record.billnumber),
    responsecode: nonEmpty(record.responsecode),
    orderstate: nonEmpty(record.orderstate),
    amountMinor: amount('amount'),
    currency: nonEmpty(record.currency),
    orderamountMinor: amount('orderamount'),
    ordercurrency: nonEmpty(record.ordercurrency),
    approvalcode: nonEmpty(record.approvalcode),
    meannumber: nonEmpty(record.meannumber),
    packetdate: nonEmpty(record.packetdate),
    signature: nonEmpty(record.signature),
    message: nonEmpty(record.message),
    customermessage: nonEmpty(record.customermessage),
    malformed,
  };
}
