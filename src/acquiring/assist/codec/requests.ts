import { formatAmount, parseAmount } from '../../../domain/money.ts';
import { ASSIST_FORMAT_CODE, type AssistFormat, type AssistFormatCode } from './answer.ts';
import {
  definedPairs,
  encodeFormBody,
  encodeJsonBody,
  encodeSoapBody,
  decodeRequestBody,
  type AssistFieldPair,
  type AssistHttpBody,
  type Decoded,
  type FieldMap,
} from './form.ts';
import { fail, succeed } from '../../../domain/result.ts';

/** A request that cannot be built from what the caller gave: a configuration or programming error, not a decline. */
export class AssistCodecError extends Error {
  override readonly name = 'AssistCodecError';
}

export type AssistLanguage = 'RU' | 'EN';

/** Tolem's page languages; Assist pages and answers come in RU or EN only (charge table, `Language`). */
export type PageLanguage = 'ru' | 'kk' | 'ky' | 'en';

export const ASSIST_LANGUAGE_BY_PAGE = { ru: 'RU', kk: 'RU', ky: 'RU', en: 'EN' } as const satisfies Record<
  PageLanguage,
  AssistLanguage
>;

// ── validation rules (spec, charge parameter table) ───────────────────────────────────────────────────────────────

export const ASSIST_RULES = {
  billnumber: /^\d{1,20}(?:\.\d{1,5})?$/, // 15–16 digits, or the extended form "50000000000001.2"
  merchantId: /^\d{1,20}$/, // "Число"
  login: /^[A-Za-z0-9_]{8,20}$/, // 8–20: Latin letters, digits, "_"
  password: /^[A-Za-z0-9]{8,20}$/, // 8–20: Latin letters, digits
  currency: /^[A-Z]{3}$/,
  clientIp: /^\d{1,3}(?:\.\d{1,3}){3}$/, // at most 15 digits and the dots
} as const;

/** An encoder's check of a value against the spec's rule for it. */
export function checkAssistField(rule: keyof typeof ASSIST_RULES, value: string, name: string): void {
  if (!ASSIST_RULES[rule].test(value)) throw new AssistCodecError(`${name} "${value}" does not match ${ASSIST_RULES[rule]}`);
}

/** Exact decimal with two places; positive; at most 15 digits ("Число, 15 знаков, два знака после разделителя"). */
export function formatAssistAmount(minor: bigint, name: string): string {
  const text = formatAmount(minor, 2);
  if (minor <= 0n || text.replace('.', '').length > 15) throw new AssistCodecError(`${name} ${text} out of range`);
  return text;
}

/** Parses an amount Assist accepts: "." or "," as the separator, at most two decimals, positive, ≤ 15 digits. */
export function parseAssistAmount(text: string): bigint | undefined {
  const normalised = text.trim().replace(',', '.');
  if (normalised.replace('.', '').length > 15) return undefined;
  const parsed = parseAmount(normalised, 2);
  return parsed.ok ? parsed.minor : undefined;
}

// ── order form: pay/order.cfm with Delay=1 ────────────────────────────────────────────────────────────────────────

/** The authorisation form, field names exactly as in the spec's example (section "Операция оплаты…"). */
export interface AssistOrderForm {
  readonly Merchant_ID: string;
  readonly OrderNumber: string;
  readonly OrderAmount: string;
  readonly OrderCurrency: string;
  readonly Delay: '1';
  readonly Language: AssistLanguage;
  readonly Email?: string;
  readonly OrderComment?: string;
  readonly URL_RETURN_OK: string;
  readonly URL_RETURN_NO: string;
  readonly CardPayment: '1';
  readonly WMPayment: '0';
  readonly YMPayment: '0';
}

/** The hidden inputs of the form, in the spec's order, for the checkout page to render and auto-submit. */
export function assistOrderFormFields(form: AssistOrderForm): AssistFieldPair[] {
  return definedPairs([
    ['Merchant_ID', form.Merchant_ID],
    ['OrderNumber', form.OrderNumber],
    ['OrderAmount', form.OrderAmount],
    ['OrderCurrency', form.OrderCurrency],
    ['Delay', form.Delay],
    ['Language', form.Language],
    ['Email', form.Email],
    ['OrderComment', form.OrderComment],
    ['URL_RETURN_OK', form.URL_RETURN_OK],
    ['URL_RETURN_NO', form.URL_RETURN_NO],
    ['CardPayment', form.CardPayment],
    ['WMPayment', form.WMPayment],
    ['YMPayment', form.YMPayment],
  ]);
}

export function encodeAssistOrderForm(form: AssistOrderForm): AssistHttpBody {
  return encodeFormBody(assistOrderFormFields(form));
}

/** What the simulated payment page reads from the POSTed form. */
export interface AssistOrderFormReceived {
  readonly merchantId: string;
  readonly orderNumber: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  /** Delay=1: authorise only (two-stage). */
  readonly delayed: boolean;
  readonly language: AssistLanguage;
  readonly email: string | undefined;
  readonly comment: string | undefined;
  readonly returnOkUrl: string | undefined;
  readonly returnNoUrl: string | undefined;
}

export function decodeAssistOrderForm(
  body: string,
  contentType = 'application/x-www-form-urlencoded',
): Decoded<AssistOrderFormReceived> {
  const parsed = decodeRequestBody(body, contentType);
  if (!parsed.ok) return parsed;
  const f = parsed.value;
  const missing = ['merchant_id', 'ordernumber', 'orderamount', 'ordercurrency'].filter((k) => !f.get(k)?.trim());
  if (missing.length > 0) return fail('missing_field', `missing ${missing.join(', ')}`);
  const amountMinor = parseAssistAmount(f.get('orderamount') ?? '');
  if (amountMinor === undefined) return fail('invalid_field', `bad OrderAmount "${f.get('orderamount')}"`);
  const currency = (f.get('ordercurrency') ?? '').trim();
  if (!ASSIST_RULES.currency.test(currency)) return fail('invalid_field', `bad OrderCurrency "${currency}"`);
  return succeed({
    merchantId: (f.get('merchant_id') ?? '').trim(),
    orderNumber: (f.get('ordernumber') ?? '').trim(),
    amountMinor,
    currency,
    delayed: f.get('delay')?.trim() === '1',
    language: languageOf(f),
    email: f.get('email'),
    comment: f.get('ordercomment'),
    returnOkUrl: f.get('url_return_ok'),
    returnNoUrl: f.get('url_return_no'),
  });
}

/** RU unless EN is asked for; the spec's charge example sends Language=0, which we read as the default. */
function languageOf(f: FieldMap): AssistLanguage {
  return f.get('language')?.trim().toUpperCase() === 'EN' ? 'EN' : 'RU';
}

// ── web-service credentials and formats ───────────────────────────────────────────────────────────────────────────

export interface AssistCredentials {
  readonly merchantId: string;
  readonly login: string;
  readonly password: string;
}

/** Checks the credentials against the spec's rules and answers them under their parameter names. */
export function assistCredentialFields(c: AssistCredentials) {
  checkAssistField('merchantId', c.merchantId, 'Merchant_ID');
  checkAssistField('login', c.login, 'Login');
  checkAssistField('password', c.password, 'Password');
  return { Merchant_ID: c.merchantId, Login: c.login, Password: c.password };
}

/** Checks a billnumber (plain or extended form) and answers it. */
export function checkAssistBillnumber(billnumber: string): string {
  checkAssistField('billnumber', billnumber, 'Billnumber');
  return billnumber;
}

export function parseAssistFormatCode(text: string | undefined): AssistFormat | undefined {
  const code = (text ?? '1').trim(); // default 1 (spec)
  const entry = Object.entries(ASSIST_FORMAT_CODE).find(([, value]) => value === code);
  return entry ? (entry[0] as AssistFormat) : undefined;
}

/** How a request travels: "if the request is JSON the answer is JSON" and SOAP answers only come to SOAP requests. */
export function assistTransportFor(format: AssistFormat): 'form' | 'json' | 'soap' {
  if (format === 'json') return 'json';
  return format === 'soap' ? 'soap' : 'form';
}

export function encodeAssistServiceRequest(
  pairs: readonly AssistFieldPair[],
  format: AssistFormat,
  soapOperation: string | undefined,
): AssistHttpBody {
  const transport = assistTransportFor(format);
  if (transport === 'json') return encodeJsonBody(pairs);
  if (transport === 'form') return encodeFormBody(pairs);
  if (!soapOperation) throw new AssistCodecError('this service has no SOAP operation in the spec');
  return encodeSoapBody(soapOperation, pairs);
}

export type { AssistFormatCode };
