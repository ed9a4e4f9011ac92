/**
 * Elsom wallet merchant codec (spec: elsom-merchant-otp.txt). Tolem is the merchant/partner: IA_Init obtains the OTP
 * payment page URL, Elsom calls back with PartnerPaymentResult, and PartnerGetPaymentStatus polls.
 * Pure: bytes ⇄ typed messages in both directions (our client and the Elsom simulator), `decode*` and `encode*` only;
 * the messages are built from our values in mapping.ts. No I/O, no business rules. A decoder never throws: what it
 * cannot read is `{ ok: false, failure }` (src/domain/result.ts) or, for an answer, its `unreadable` kind.
 */
import { readJsonLossless } from '../../domain/lossless-json.ts';
import { parseAmount } from '../../domain/money.ts';
import { fail, succeed, type Failure, type Result } from '../../domain/result.ts';

/** A message an encoder cannot write as the table allows: a configuration or programming error, not a partner answer. */
export class ElsomCodecError extends Error {
  override readonly name = 'ElsomCodecError';
}

/** Why a message could not be read: the body, the method object, or one field. */
export type ElsomMerchantDecodeFailure = Failure<'not_json_object' | 'no_method' | 'not_scalar' | 'missing_field' | 'invalid_field' | 'invalid_amount'>;

export type Decoded<T> = Result<T, ElsomMerchantDecodeFailure>;

/** Server path (spec 1.2); tenant-id is "the id of the operator where the agent's or merchant's wallet is open". */
export function elsomGenerateOtpPath(tenantId: string): string {
  if (!/^[\w-]{1,64}$/.test(tenantId)) throw new ElsomCodecError(`bad tenant-id "${tenantId}"`);
  return `/service/v1/merchant/generateOTP/${tenantId}`;
}

export const ELSOM_CONTENT_TYPE = 'application/json; charset=utf-8';

// ── languages ────────────────────────────────────────────────────────────────────────────────────────────────────

/** The cultures the IA_Init table allows: ky-KG Kyrgyz, ru-RU Russian, en-US English. */
export type ElsomCultureInfo = 'ky-KG' | 'ru-RU' | 'en-US';

export type PageLanguage = 'ru' | 'kk' | 'ky' | 'en';

/** Kazakh is not among Elsom's cultures: Kazakh-speaking customers get the Russian page. */
export const ELSOM_CULTURE_BY_PAGE_LANGUAGE = {
  ru: 'ru-RU',
  kk: 'ru-RU',
  ky: 'ky-KG',
  en: 'en-US',
} as const satisfies Record<PageLanguage, ElsomCultureInfo>;

// ── payment statuses (spec 2.5) ──────────────────────────────────────────────────────────────────────────────────

export const ELSOM_PAYMENT_STATUSES = ['A', '1', '2', '3', '4'] as const;

export type ElsomPaymentStatus = (typeof ELSOM_PAYMENT_STATUSES)[number];

export type ElsomPaymentOutcome = 'paid' | 'failed' | 'pending' | 'unknown';

export const ELSOM_PAYMENT_STATUS_OUTCOME = {
  A: 'paid', // платеж прошел успешно
  '1': 'pending', // платеж в обработке
  '2': 'failed', // не успешно, время транзакции вышло
  '3': 'failed', // платеж отменен партнером
  '4': 'failed', // другая ошибка (a final status of the payment, not of the request)
} as const satisfies Record<ElsomPaymentStatus, ElsomPaymentOutcome>;

export function readElsomPaymentStatus(text: string | undefined): ElsomPaymentStatus | undefined {
  const trimmed = text?.trim();
  return ELSOM_PAYMENT_STATUSES.find((status) => status === trimmed);
}

/** Pending by default: an unlisted status is `unknown`, never `failed`. */
export function elsomPaymentOutcome(status: string | undefined): ElsomPaymentOutcome {
  const known = readElsomPaymentStatus(status);
  return known === undefined ? 'unknown' : ELSOM_PAYMENT_STATUS_OUTCOME[known];
}

// ── JSON reading ─────────────────────────────────────────────────────────────────────────────────────────────────

export const MAX_ELSOM_BODY_CHARS = 64 * 1024;

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Removes commas that directly precede "}" or "]" outside strings: the spec's own GetPaymentStatus answer has one
 * (`"Message": "Платеж в обработке",` before `}`), so a strict parser would refuse the partner's documented output.
 */
export function stripTrailingCommas(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    if (c === ',' && /^\s*[}\]]/.test(text.slice(i + 1, i + 64))) continue;
    out += c;
  }
  return out;
}

/** Lossless and lenient: numbers stay their exact digits (as strings), trailing commas tolerated, BOM dropped. */
export function decodeElsomJson(body: string): unknown {
  if (body.length > MAX_ELSOM_BODY_CHARS) return undefined;
  const text = stripTrailingCommas(body.replace(/^\uFEFF/, '').trim());
  return readJsonLossless(text, { numbers: 'digits', maxChars: MAX_ELSOM_BODY_CHARS });
}

/** A scalar as text: strings as sent, numbers as their exact digits. Anything else: undefined. */
function scalar(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

interface FieldRule {
  readonly name: string;
  readonly max: number;
  readonly required: boolean;
  readonly pattern?: RegExp;
}

/** Reads the listed fields of a message object by their exact names, checking presence and Varchar lengths. */
function readFields(obj: JsonObject, rules: readonly FieldRule[]): Decoded<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = {};
  for (const rule of rules) {
    const raw = obj[rule.name];
    const text = raw === undefined || raw === null ? undefined : scalar(raw);
    if (raw !== undefined && raw !== null && text === undefined) return fail('not_scalar', `${rule.name} is not a scalar`);
    if (text === undefined || text === '') {
      if (rule.required) return fail('missing_field', `${rule.name} is missing`);
    } else if (text.length > rule.max || (rule.pattern && !rule.pattern.test(text))) {
      return fail('invalid_field', `${rule.name} "${text.slice(0, 40)}" is invalid`);
    }
    out[rule.name] = text;
  }
  return succeed(out);
}

/** An encoder's check of what it writes: the same table the decoder reads by. */
function checkFields(method: string, fields: object, rules: readonly FieldRule[]): void {
  const checked = readFields({ ...fields }, rules);
  if (!checked.ok) throw new ElsomCodecError(`${method}: ${checked.failure.detail}`);
}

/** The single method object under one of the accepted root names (e.g. {"PartnerPaymentResult": {…}}). */
function methodObject(body: string, roots: readonly string[]): Decoded<JsonObject> {
  const parsed = decodeElsomJson(body);
  if (!isObject(parsed)) return fail('not_json_object', 'body is not a JSON object');
  const root = roots.find((name) => parsed[name] !== undefined);
  const inner = root === undefined ? undefined : parsed[root];
  return isObject(inner) ? succeed(inner) : fail('no_method', `no ${roots.join(' / ')} object`);
}

const WALLET = /^0\d{9}$/; // "10 знаков, начинается на 0"

// ── IA_Init (spec 2.2) ───────────────────────────────────────────────────────────────────────────────────────────

/** IA_Init fields, names exactly as in the spec's table, in its order. */
export interface ElsomIaInitFields {
  readonly CultureInfo: string;
  readonly MSISDN: string;
  readonly PmSISDN: string;
  readonly PartnerCode: string;
  readonly Password: string;
  readonly ChequeNo: string;
  readonly PartnerTrnID: string;
  readonly Amount: string;
  readonly CashierNo: string;
  readonly UDF: string;
}

/** The request body: the method name is the root key, as in the spec's other methods. */
export interface ElsomIaInitRequest {
  readonly IA_Init: ElsomIaInitFields;
}

const IA_INIT_RULES: readonly FieldRule[] = [
  { name: 'CultureInfo', max: 10, required: true },
  { name: 'MSISDN', max: 10, required: true, pattern: /^(?:0|0\d{9})$/ },
  { name: 'PmSISDN', max: 10, required: true, pattern: WALLET },
  { name: 'PartnerCode', max: 10, required: true },
  { name: 'Password', max: 100, required: true },
  { name: 'ChequeNo', max: 20, required: false },
  { name: 'PartnerTrnID', max: 20, required: true },
  { name: 'Amount', max: 30, required: true },
  { name: 'CashierNo', max: 20, required: false },
  { name: 'UDF', max: 100, required: false },
];

/** The body we post; refuses (ElsomCodecError) a message the table does not allow, the amount included. */
export function encodeElsomIaInit(request: ElsomIaInitRequest): string {
  checkFields('IA_Init', request.IA_Init, IA_INIT_RULES);
  if (!parseAmount(request.IA_Init.Amount, 2).ok) throw new ElsomCodecError(`IA_Init: Amount "${request.IA_Init.Amount}" must be a positive decimal`);
  return JSON.stringify(request, null, 2);
}

/** What the simulated Elsom reads from an IA_Init body. */
export interface ElsomIaInitReceived {
  readonly fields: ElsomIaInitFields;
  readonly amountMinor: bigint;
}

export function decodeElsomIaInit(body: string): Decoded<ElsomIaInitReceived> {
  const method = methodObject(body, ['IA_Init']);
  if (!method.ok) return method;
  const read = readFields(method.value, IA_INIT_RULES);
  if (!read.ok) return read;
  const v = read.value;
  const amount = parseAmount(v['Amount'] ?? '', 2);
  if (!amount.ok) return fail('invalid_amount', `Amount "${v['Amount']}": ${amount.error}`);
  const fields: ElsomIaInitFields = {
    CultureInfo: v['CultureInfo'] ?? '',
    MSISDN: v['MSISDN'] ?? '',
    PmSISDN: v['PmSISDN'] ?? '',
    PartnerCode: v['PartnerCode'] ?? '',
    Password: v['Password'] ?? '',
    ChequeNo: v['ChequeNo'] ?? '',
    PartnerTrnID: v['PartnerTrnID'] ?? '',
    Amount: v['Amount'] ?? '',
    CashierNo: v['CashierNo'] ?? '',
    UDF: v['UDF'] ?? '',
  };
  return succeed({ fields, amountMinor: amount.minor });
}

// ── the common "Response" header ─────────────────────────────────────────────────────────────────────────────────

export interface ElsomResponseHeader {
  readonly ErrorCode: string;
  readonly ErrorMsg?: string;
}

type Header = { errorCode: string; errorMsg: string };

function readHeader(obj: JsonObject): Header | undefined {
  const response = obj['Response'];
  if (!isObject(response)) return undefined;
  const code = scalar(response['ErrorCode'])?.trim();
  if (code === undefined || !/^-?\d{1,20}$/.test(code)) return undefined; // Numeric(20)
  return { errorCode: code, errorMsg: scalar(response['ErrorMsg']) ?? '' };
}

const isSuccessCode = (code: string) => /^-?0+$/.test(code);

// ── IA_Init answer ───────────────────────────────────────────────────────────────────────────────────────────────

export type ElsomIaInitAnswer =
  | { kind: 'ok'; paymentUrl: string }
  | { kind: 'refused'; errorCode: string; errorMsg: string }
  | ElsomUnreadable;

/** An answer we could not read: its outcome is unknown (the one failure shape, src/domain/result.ts). */
export type ElsomUnreadable = Failure<'unreadable'>;

const unreadable = (detail: string): ElsomUnreadable => ({ kind: 'unreadable', detail });

/**
 * The spec shows the answer only through its PHP class: `result[0] = "success"; result[1] = <URL>`. Accepted: that
 * two-element array, and the Response/Result envelope of the other methods with the URL in `Result` under any key
 * containing "url" (e.g. `URL`). We encode the latter: {"Response":{…},"Result":{"URL":"…"}}.
 */
export function decodeElsomIaInitResponse(body: string): ElsomIaInitAnswer {
  const parsed = decodeElsomJson(body);
  if (Array.isArray(parsed)) return fromPhpArray(parsed);
  if (!isObject(parsed)) return unreadable('not JSON');
  const header = readHeader(parsed);
  if (!header) return unreadable('no Response.ErrorCode');
  if (!isSuccessCode(header.errorCode)) return { kind: 'refused', ...header };
  const result = parsed['Result'];
  const url = isObject(result) ? urlIn(result) : undefined;
  return url ? { kind: 'ok', paymentUrl: url } : unreadable('success without a payment URL');
}

function fromPhpArray(items: unknown[]): ElsomIaInitAnswer {
  const [status, url] = items;
  if (status === 'success' && typeof url === 'string' && isPaymentUrl(url)) return { kind: 'ok', paymentUrl: url };
  return unreadable('array answer is not ["success", url]');
}

function urlIn(result: JsonObject): string | undefined {
  const candidates = Object.entries(result).filter(([key, value]) => /url/i.test(key) && typeof value === 'string');
  const urls = candidates.map(([, value]) => value as string).filter(isPaymentUrl);
  return urls.length === 1 ? urls[0] : undefined;
}

function isPaymentUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

export function encodeElsomIaInitResponse(answer: { paymentUrl: string } | { errorCode: string; errorMsg: string }): string {
  if ('paymentUrl' in answer) {
    return JSON.stringify({ Response: { ErrorCode: '0', ErrorMsg: 'Success' }, Result: { URL: answer.paymentUrl } }, null, 2);
  }
  return JSON.stringify({ Response: { ErrorCode: answer.errorCode, ErrorMsg: answer.errorMsg } }, null, 2);
}

// ── PartnerGetPaymentStatus (spec 2.3) ───────────────────────────────────────────────────────────────────────────

export interface ElsomGetPaymentStatusFields {
  readonly CultureInfo: string;
  readonly MSISDN: string;
  readonly PartnerTrnID: string;
  readonly Password: string;
}

export interface ElsomGetPaymentStatusRequest {
  readonly PartnerGetPaymentStatus: ElsomGetPaymentStatusFields;
}

const STATUS_REQUEST_RULES: readonly FieldRule[] = [
  { name: 'CultureInfo', max: 10, required: true },
  { name: 'MSISDN', max: 10, required: true, pattern: WALLET },
  { name: 'PartnerTrnID', max: 20, required: true },
  { name: 'Password', max: 100, required: true },
];

export function encodeElsomGetPaymentStatus(request: ElsomGetPaymentStatusRequest): string {
  checkFields('PartnerGetPaymentStatus', request.PartnerGetPaymentStatus, STATUS_REQUEST_RULES);
  return JSON.stringify(request, null, 2);
}

/** Simulator side. The table calls the method "GetPaymentStatus", the example "PartnerGetPaymentStatus": both read. */
export function decodeElsomGetPaymentStatus(body: string): Decoded<ElsomGetPaymentStatusFields> {
  const method = methodObject(body, ['PartnerGetPaymentStatus', 'GetPaymentStatus']);
  if (!method.ok) return method;
  const read = readFields(method.value, STATUS_REQUEST_RULES);
  if (!read.ok) return read;
  const v = read.value;
  return succeed({
    CultureInfo: v['CultureInfo'] ?? '',
    MSISDN: v['MSISDN'] ?? '',
    PartnerTrnID: v['PartnerTrnID'] ?? '',
    Password: v['Password'] ?? '',
  });
}

export type ElsomStatusAnswer =
  | { kind: 'status'; paymentStatus: string; outcome: ElsomPaymentOutcome; message: string | undefined }
  | { kind: 'error'; errorCode: string; errorMsg: string }
  | ElsomUnreadable;

/** Never throws. A non-zero ErrorCode is an answer about the request, not the payment: its outcome is unknown. */
export function decodeElsomGetPaymentStatusResponse(body: string): ElsomStatusAnswer {
  const parsed = decodeElsomJson(body);
  if (!isObject(parsed)) return unreadable('not a JSON object');
  const header = readHeader(parsed);
  if (!header) return unreadable('no Response.ErrorCode');
  if (!isSuccessCode(header.errorCode)) return { kind: 'error', ...header };
  const result = parsed['Result'];
  const status = isObject(result) ? scalar(result['PaymentStatus'])?.trim() : undefined;
  if (!isObject(result) || !status) return unreadable('no Result.PaymentStatus');
  const message = scalar(result['Message']);
  return { kind: 'status', paymentStatus: status, outcome: elsomPaymentOutcome(status), message };
}

/** The payment outcome an answer tells: only a readable status says more than `unknown`. */
export function elsomStatusOutcome(answer: ElsomStatusAnswer): ElsomPaymentOutcome {
  return answer.kind === 'status' ? answer.outcome : 'unknown';
}

export function encodeElsomGetPaymentStatusResponse(
  answer: { paymentStatus: string; message?: string } | { errorCode: string; errorMsg: string },
): string {
  if ('paymentStatus' in answer) {
    const result = { PaymentStatus: answer.paymentStatus, ...(answer.message === undefined ? {} : { Message: answer.message }) };
    return JSON.stringify({ Response: { ErrorCode: '0', ErrorMsg: 'Success' }, Result: result }, null, 2);
  }
  return JSON.stringify({ Response: { ErrorCode: answer.errorCode, ErrorMsg: answer.errorMsg } }, null, 2);
}

// ── PartnerPaymentResult callback (spec 2.4) ─────────────────────────────────────────────────────────────────────

/** Callback fields, names exactly as in the spec (note `PSPTTrnID`, with the extra T), in its order. */
export interface ElsomPaymentResultFields {
  readonly CultureInfo: string;
  readonly MSISDN: string;
  readonly PartnerTrnID: string;
  readonly PSPTTrnID: string;
  readonly PaymentStatus: string;
  readonly Message?: string;
  readonly CashierNo?: string;
  readonly ChequeNo?: string;
}

export interface ElsomPaymentResult {
  readonly PartnerPaymentResult: ElsomPaymentResultFields;
}

const CALLBACK_RULES: readonly FieldRule[] = [
  { name: 'CultureInfo', max: 10, required: true },
  { name: 'MSISDN', max: 10, required: true },
  { name: 'PartnerTrnID', max: 100, required: true },
  { name: 'PSPTTrnID', max: 30, required: true },
  { name: 'PaymentStatus', max: 100, required: true },
  { name: 'Message', max: 250, required: false },
  { name: 'CashierNo', max: 100, required: false },
  { name: 'ChequeNo', max: 100, required: false },
];

export interface ElsomPaymentResultReceived {
  readonly fields: ElsomPaymentResultFields;
  readonly outcome: ElsomPaymentOutcome;
}

/**
 * Reads the callback body. The example's root is "PartnerPaymentResult", the table's "PaymentResult": both read.
 * Ids stay exact text even when sent as JSON numbers. Never throws.
 */
export function decodeElsomPaymentResult(body: string): Decoded<ElsomPaymentResultReceived> {
  const method = methodObject(body, ['PartnerPaymentResult', 'PaymentResult']);
  if (!method.ok) return method;
  const read = readFields(method.value, CALLBACK_RULES);
  if (!read.ok) return read;
  const v = read.value;
  const fields: ElsomPaymentResultFields = {
    CultureInfo: v['CultureInfo'] ?? '',
    MSISDN: v['MSISDN'] ?? '',
    PartnerTrnID: v['PartnerTrnID'] ?? '',
    PSPTTrnID: v['PSPTTrnID'] ?? '',
    PaymentStatus: (v['PaymentStatus'] ?? '').trim(),
    ...optional('Message', v['Message']),
    ...optional('CashierNo', v['CashierNo']),
    ...optional('ChequeNo', v['ChequeNo']),
  };
  return succeed({ fields, outcome: elsomPaymentOutcome(fields.PaymentStatus) });
}

const optional = <K extends string>(key: K, value: string | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, string>>;

/** Simulator side: the callback body, laid out as the spec's example. */
export function encodeElsomPaymentResult(fields: ElsomPaymentResultFields): string {
  const ordered: ElsomPaymentResultFields = {
    CultureInfo: fields.CultureInfo,
    MSISDN: fields.MSISDN,
    PartnerTrnID: fields.PartnerTrnID,
    PSPTTrnID: fields.PSPTTrnID,
    PaymentStatus: fields.PaymentStatus,
    ...optional('Message', fields.Message),
    ...optional('CashierNo', fields.CashierNo),
    ...optional('ChequeNo', fields.ChequeNo),
  };
  return JSON.stringify({ PartnerPaymentResult: ordered }, null, 2);
}

/** Our answer to the callback: the spec's success answer byte for byte by default; another code when refusing it. */
export function encodeElsomPaymentResultAnswer(errorCode = '0', errorMsg = 'Success'): string {
  if (!/^-?\d{1,20}$/.test(errorCode)) throw new ElsomCodecError(`ErrorCode "${errorCode}" is not Numeric(20)`);
  return JSON.stringify({ Response: { ErrorCode: errorCode, ErrorMsg: errorMsg.slice(0, 1500) } }, null, 2);
}

export type ElsomCallbackAnswer =
  | { kind: 'accepted' }
  | { kind: 'refused'; errorCode: string; errorMsg: string }
  | ElsomUnreadable;

/** Simulator side: did the partner accept the callback? Anything but ErrorCode 0 means deliver again. */
export function decodeElsomPaymentResultAnswer(body: string): ElsomCallbackAnswer {
  const parsed = decodeElsomJson(body);
  const header = isObject(parsed) ? readHeader(parsed) : undefined;
  if (!header) return unreadable('no Response.ErrorCode');
  return isSuccessCode(header.errorCode) ? { kind: 'accepted' } : { kind: 'refused', ...header };
}
