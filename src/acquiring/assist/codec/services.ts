import { formatAmount } from '../../../domain/money.ts';
import { ASSIST_FORMAT_CODE, type AssistFormat, type AssistFormatCode } from './answer.ts';
import {
  definedPairs,
  decodeRequestBody,
  type AssistFieldPair,
  type AssistHttpBody,
  type Decoded,
  type FieldMap,
} from './form.ts';
import { fail, succeed } from '../../../domain/result.ts';
import {
  ASSIST_RULES,
  AssistCodecError,
  assistCredentialFields,
  checkAssistBillnumber,
  encodeAssistServiceRequest,
  parseAssistAmount,
  parseAssistFormatCode,
  type AssistCredentials,
  type AssistLanguage,
} from './requests.ts';

/** Endpoint paths on `https://<SERVER-NAME>`. Only charge.cfm is in the spec; the others are Assist's usual ones. */
export const ASSIST_PATHS = {
  order: '/pay/order.cfm',
  charge: '/charge/charge.cfm',
  cancel: '/cancel/cancel.cfm',
  orderState: '/orderstate/orderstate.cfm',
} as const;

/** A partial amount: Amount and Currency travel together or not at all (spec, footnote ¹). */
export interface AssistPartialAmount {
  readonly amountMinor: bigint;
  readonly currency: string;
}

// ── charge.cfm ───────────────────────────────────────────────────────────────────────────────────────────────────

/** charge.cfm parameters, names exactly as in the spec's table. */
export interface AssistChargeRequest {
  readonly Billnumber: string;
  readonly Merchant_ID: string;
  readonly Login: string;
  readonly Password: string;
  readonly Amount?: string;
  readonly Currency?: string;
  readonly ClientIP?: string;
  readonly Language?: AssistLanguage;
  readonly Format?: AssistFormatCode;
  readonly AutoDeposit?: '0' | '1';
}

export function assistChargeFields(req: AssistChargeRequest): AssistFieldPair[] {
  return definedPairs([
    ['Billnumber', req.Billnumber],
    ['Merchant_ID', req.Merchant_ID],
    ['Login', req.Login],
    ['Password', req.Password],
    ['Amount', req.Amount],
    ['Currency', req.Currency],
    ['ClientIP', req.ClientIP],
    ['Language', req.Language],
    ['Format', req.Format],
    ['AutoDeposit', req.AutoDeposit],
  ]);
}

/** The HTTP body for charge.cfm: form for CSV/XML, JSON for Format=5, SOAP envelope (MakeCharge) for Format=4. */
export function encodeAssistChargeRequest(req: AssistChargeRequest): AssistHttpBody {
  const format = parseAssistFormatCode(req.Format) ?? 'csv';
  return encodeAssistServiceRequest(assistChargeFields(req), format, 'MakeCharge');
}

/** What the simulated charge service reads from a request. */
export interface AssistChargeReceived {
  readonly billnumber: string;
  readonly merchantId: string;
  readonly login: string;
  readonly password: string;
  readonly partial: AssistPartialAmount | undefined;
  readonly clientIp: string | undefined;
  readonly language: AssistLanguage;
  readonly format: AssistFormat;
  readonly autoDeposit: boolean;
}

export function decodeAssistChargeRequest(body: string, contentType: string): Decoded<AssistChargeReceived> {
  const parsed = decodeRequestBody(body, contentType);
  if (!parsed.ok) return parsed;
  const f = parsed.value;
  const common = readCommon(f, 'billnumber');
  if (!common.ok) return common;
  const partial = readPartial(f);
  if (!partial.ok) return partial;
  const format = readFormat(f, contentType);
  if (!format.ok) return format;
  const { id, ...credentials } = common.value;
  return succeed({
    billnumber: id,
    ...credentials,
    partial: partial.value,
    format: format.value,
    autoDeposit: f.get('autodeposit')?.trim() === '1',
  });
}

// ── shared readers (simulator side) ──────────────────────────────────────────────────────────────────────────────

interface CommonReceived {
  readonly id: string;
  readonly merchantId: string;
  readonly login: string;
  readonly password: string;
  readonly clientIp: string | undefined;
  readonly language: AssistLanguage;
}

/** Reads and checks credentials plus the identifying parameter (`billnumber` or `ordernumber`) against the spec. */
function readCommon(f: FieldMap, idKey: 'billnumber' | 'ordernumber'): Decoded<CommonReceived> {
  const get = (key: string) => f.get(key)?.trim() ?? '';
  const rules: Array<[string, RegExp]> = [
    [idKey, idKey === 'billnumber' ? ASSIST_RULES.billnumber : /^\S{1,128}$/],
    ['merchant_id', ASSIST_RULES.merchantId],
    ['login', ASSIST_RULES.login],
    ['password', ASSIST_RULES.password],
  ];
  const bad = rules.filter(([key, rule]) => !rule.test(get(key))).map(([key]) => key);
  if (bad.length > 0) return fail('invalid_field', `missing or invalid ${bad.join(', ')}`);
  const clientIp = f.get('clientip')?.trim();
  if (clientIp && !ASSIST_RULES.clientIp.test(clientIp)) return fail('invalid_field', `invalid clientip`);
  const language: AssistLanguage = get('language').toUpperCase() === 'EN' ? 'EN' : 'RU';
  const value: CommonReceived = {
    id: get(idKey),
    merchantId: get('merchant_id'),
    login: get('login'),
    password: f.get('password') ?? '',
    clientIp: clientIp || undefined,
    language,
  };
  return succeed(value);
}

function readPartial(f: FieldMap): Decoded<AssistPartialAmount | undefined> {
  const amount = f.get('amount')?.trim();
  const currency = f.get('currency')?.trim();
  if (!amount && !currency) return succeed(undefined);
  if (!amount || !currency) return fail('missing_field', 'Amount and Currency go together');
  const amountMinor = parseAssistAmount(amount);
  if (amountMinor === undefined) return fail('invalid_field', `invalid amount "${amount}"`);
  if (!ASSIST_RULES.currency.test(currency)) return fail('invalid_field', `invalid currency "${currency}"`);
  return succeed({ amountMinor, currency });
}

/** A JSON request is answered in JSON whatever its Format; otherwise Format decides (default 1, CSV). */
function readFormat(f: FieldMap, contentType: string): Decoded<AssistFormat> {
  if (contentType.toLowerCase().includes('json')) return succeed('json');
  const format = parseAssistFormatCode(f.get('format'));
  return format ? succeed(format) : fail('invalid_field', `invalid format "${f.get('format')}"`);
}

// ── cancel.cfm (not in the spec: parameters as Assist's public SDKs send them) ───────────────────────────────────

export interface AssistCancelRequest {
  readonly Billnumber: string;
  readonly Merchant_ID: string;
  readonly Login: string;
  readonly Password: string;
  readonly Amount?: string;
  readonly Currency?: string;
  readonly CancelReason?: string;
  readonly ClientIP?: string;
  readonly Language?: AssistLanguage;
  readonly Format?: AssistFormatCode;
}

export function encodeAssistCancelRequest(req: AssistCancelRequest): AssistHttpBody {
  const pairs = definedPairs([
    ['Billnumber', req.Billnumber],
    ['Merchant_ID', req.Merchant_ID],
    ['Login', req.Login],
    ['Password', req.Password],
    ['Amount', req.Amount],
    ['Currency', req.Currency],
    ['CancelReason', req.CancelReason],
    ['ClientIP', req.ClientIP],
    ['Language', req.Language],
    ['Format', req.Format],
  ]);
  return encodeAssistServiceRequest(pairs, parseAssistFormatCode(req.Format) ?? 'csv', undefined);
}

export interface AssistCancelReceived extends Omit<AssistChargeReceived, 'autoDeposit'> {
  readonly cancelReason: string | undefined;
}

export function decodeAssistCancelRequest(body: string, contentType: string): Decoded<AssistCancelReceived> {
  const charge = decodeAssistChargeRequest(body, contentType);
  if (!charge.ok) return charge;
  const { autoDeposit: _ignored, ...rest } = charge.value;
  const fields = decodeRequestBody(body, contentType);
  const cancelReason = fields.ok ? fields.value.get('cancelreason') : undefined;
  return succeed({ ...rest, cancelReason });
}

// ── orderstate.cfm (not in the spec: parameters as Assist's public integrations send them) ──────────────────────

export interface AssistOrderStateRequest {
  readonly Ordernumber: string;
  readonly Merchant_ID: string;
  readonly Login: string;
  readonly Password: string;
  readonly Format?: AssistFormatCode;
  readonly StartDay?: string;
  readonly StartMonth?: string;
  readonly StartYear?: string;
}

export function encodeAssistOrderStateRequest(req: AssistOrderStateRequest): AssistHttpBody {
  const pairs = definedPairs([
    ['Ordernumber', req.Ordernumber],
    ['Merchant_ID', req.Merchant_ID],
    ['Login', req.Login],
    ['Password', req.Password],
    ['Format', req.Format],
    ['StartDay', req.StartDay],
    ['StartMonth', req.StartMonth],
    ['StartYear', req.StartYear],
  ]);
  return encodeAssistServiceRequest(pairs, parseAssistFormatCode(req.Format) ?? 'csv', undefined);
}

export interface AssistOrderStateReceived {
  readonly orderNumber: string;
  readonly merchantId: string;
  readonly login: string;
  readonly password: string;
  readonly format: AssistFormat;
}

export function decodeAssistOrderStateRequest(body: string, contentType: string): Decoded<AssistOrderStateReceived> {
  const parsed = decodeRequestBody(body, contentType);
  if (!parsed.ok) return parsed;
  const common = readCommon(parsed.value, 'ordernumber');
  if (!common.ok) return common;
  const format = readFormat(parsed.value, contentType);
  if (!format.ok) return format;
  const { id, merchantId, login, password } = common.value;
  return succeed({ orderNumber: id, merchantId, login, password, format: format.value });
}
