/**
 * Elsom biller XML protocol (Elsom's document for billers, protocol 4.00; docs/protocols/elsom-biller.md): bytes ⇄
 * typed messages, in both directions.
 * Gateway side: decodeElsomRequest / encodeElsomResponse. Wallet-simulator side: encodeElsomRequest /
 * decodeElsomResponse. Pure: no HTTP, no database, no business rules (limits, currency, auth decisions live in mapping).
 * See README.md beside this file for the partner's quirks and the decisions taken here.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import {
  fromLocalDateTime, localDateTime as realLocalDateTime, toLocalDateTime, type LocalDateTime,
} from '../../domain/local-date-time.ts';
import {
  createXmlParser, decodeXmlBytes, decodeXmlReferences, detectXmlCharset, ELSOM_STYLE, screenDtd, XmlReferenceError,
  xmlWellFormedness, XmlWriter, type XmlNode,
} from '../../xml/index.ts';
import { assertNever } from '../../domain/assert.ts';
import { formatAmount, parseAmount } from '../../domain/money.ts';

// ───────────────────────────── spec tables ─────────────────────────────

export const ELSOM_PROTOCOL_VERSION = '4.00';

/** Default body limit: the largest spec message is under 1 KiB; a PAYMENT_LIST answer is ours, not limited here. */
export const ELSOM_DEFAULT_MAX_BYTES = 64 * 1024;

/** Kyrgyzstan, UTC+6: the default for Elsom's wall-clock dates (real value comes from configuration). */
export const ELSOM_DEFAULT_UTC_OFFSET_MINUTES = 360;

/** request-type values (sections 2.1–2.4). */
export const ELSOM_REQUEST_TYPE = { AUTHORIZE: 1, PAYMENT: 2, CANCEL_PAYMENT: 3, PAYMENT_LIST: 4 } as const;
export type ElsomRequestType = (typeof ELSOM_REQUEST_TYPE)[keyof typeof ELSOM_REQUEST_TYPE];

export interface ElsomResultCodeInfo {
  /** "Текст" column. */
  readonly text: string;
  /** "Кратко" column; null where the spec leaves it blank. */
  readonly short: string | null;
  /**
   * "Фатальность" column: true = 1 (final refusal), false = 0 (temporary). null where the spec leaves it blank.
   * The spec never says in so many words that Elsom retries on a non-fatal code; see README.
   */
  readonly fatal: boolean | null;
}

/** СПИСОК ЗНАЧЕНИЙ RESULT-CODE (section 2.5), plus 233 which only section 2.1's text names. */
export const ELSOM_RESULT_CODES = {
  0: { text: 'OK', short: 'OK', fatal: false },
  1: { text: 'Провайдер временно недоступен', short: 'Истекло время', fatal: false },
  2: { text: 'Превышено число попыток', short: 'Ошибка связи', fatal: true },
  3: { text: 'Техническая ошибка, нельзя отправить запрос провайдеру', short: 'Технич. ошибка', fatal: false },
  4: { text: 'Неверный формат счета/телефона', short: 'Неверный N счета', fatal: true },
  5: { text: 'Номер не принадлежит оператору', short: 'N не существует', fatal: true },
  6: { text: 'Прием платежа запрещен, обратитесь в банк', short: 'Запрет СПП', fatal: true },
  7: { text: 'Прием платежа запрещен, обратитесь к оператору', short: 'Запрет от пров.', fatal: true },
  8: { text: 'Прием платежа запрещен по техническим причинам', short: 'Проблема СПП', fatal: false },
  9: { text: 'Timeout от провайдера', short: 'Нет ответа пров.', fatal: false },
  10: { text: 'Дублирование платежа', short: 'Дублирование платежа', fatal: true },
  12: { text: 'Платеж не подтвержден клиентом', short: null, fatal: null },
  13: { text: 'Сервер занят, повторите запрос через минуту', short: 'Подождите минуту', fatal: false },
  150: { text: 'Неверный пароль или нет прав на этот терминал', short: 'Неверный пароль', fatal: true },
  155: { text: 'Прием платежа для данного провайдера запрещен', short: 'Запрещено', fatal: true },
  201: { text: 'Слишком много запросов с терминала, обождите!!', short: 'Подождите', fatal: false },
  202: { text: 'Ошибка данных запроса', short: 'Ошибка данных запроса', fatal: true },
  203: { text: 'Транзакция не найдена в базе данных', short: 'Транзакция не найдена', fatal: true },
  220: { text: 'Недостаток средств у агента', short: 'НЕТ ДЕНЕГ', fatal: false },
  221: { text: 'Недостаточно средств на счете в банке', short: null, fatal: null },
  233: { text: 'Транзакция с таким кодом уже существует (раздел 2.1)', short: null, fatal: null },
  240: { text: 'Не проведена', short: 'Не проведена', fatal: true },
  241: { text: 'Сумма слишком мала', short: 'Сумма Мин', fatal: true },
  242: { text: 'Сумма слишком велика', short: 'Сумма Макс', fatal: true },
  243: { text: 'Невозможно проверить состояние счета', short: 'Ошибка сервера', fatal: true },
  270: { text: 'Ошибка от провайдера', short: 'Ошибка от провайдера', fatal: true },
  271: { text: 'Ошибка в ответе провайдера', short: 'Ошибка пров.', fatal: false },
  272: { text: 'Временно нет связи с провайдером', short: 'Ошибка связи', fatal: false },
  274: { text: 'Сумма платежа должна быть целым числом', short: 'Сумма не целое число', fatal: true },
  275: { text: 'Некорректная сумма платежа', short: 'Сумма некорректна', fatal: true },
  276: { text: 'Коррекция! НЕ ПЕРЕПРОВОДИТЬ!', short: 'Корректирующий платеж', fatal: false },
  280: { text: 'Недостаток средств у агента выше', short: 'Нет денег у вышестоящего', fatal: true },
  300: { text: 'Другая (неизвестная) ошибка провайдера', short: 'Ошибка пров.', fatal: false },
} as const satisfies Record<number, ElsomResultCodeInfo>;

export type ElsomResultCode = keyof typeof ELSOM_RESULT_CODES;

/** Names for the codes, for mapping code to read well. */
export const ELSOM_RESULT = {
  OK: 0,
  PROVIDER_UNAVAILABLE: 1,
  TOO_MANY_ATTEMPTS: 2,
  TECHNICAL_ERROR: 3,
  BAD_ACCOUNT_FORMAT: 4,
  ACCOUNT_NOT_FOUND: 5,
  FORBIDDEN_CONTACT_BANK: 6,
  FORBIDDEN_BY_PROVIDER: 7,
  FORBIDDEN_TECHNICAL: 8,
  PROVIDER_TIMEOUT: 9,
  DUPLICATE_PAYMENT: 10,
  NOT_CONFIRMED_BY_CLIENT: 12,
  SERVER_BUSY: 13,
  WRONG_PASSWORD: 150,
  PROVIDER_FORBIDDEN: 155,
  TOO_MANY_REQUESTS: 201,
  BAD_REQUEST: 202,
  TRANSACTION_NOT_FOUND: 203,
  AGENT_INSUFFICIENT_FUNDS: 220,
  BANK_INSUFFICIENT_FUNDS: 221,
  TRANSACTION_EXISTS: 233,
  NOT_PAID: 240,
  AMOUNT_TOO_SMALL: 241,
  AMOUNT_TOO_LARGE: 242,
  ACCOUNT_CHECK_FAILED: 243,
  PROVIDER_ERROR: 270,
  PROVIDER_RESPONSE_ERROR: 271,
  PROVIDER_CONNECTION_LOST: 272,
  AMOUNT_NOT_INTEGER: 274,
  INCORRECT_AMOUNT: 275,
  CORRECTION_DO_NOT_REPEAT: 276,
  PARENT_AGENT_INSUFFICIENT_FUNDS: 280,
  UNKNOWN_PROVIDER_ERROR: 300,
} as const satisfies Record<string, ElsomResultCode>;

export function isElsomResultCode(value: number): value is ElsomResultCode {
  return Object.hasOwn(ELSOM_RESULT_CODES, value);
}

/** СПИСОК ЗНАЧЕНИЙ STATUS-ID (section 2.5). */
export const ELSOM_STATUS = {
  NOT_PROCESSED: 10,
  AUTHORIZED: 30,
  PAID: 60,
  NOT_SENT_TO_PROVIDER: 125,
  PROVIDER_REFUSED: 130,
  NOT_PAID: 160,
} as const;
export type ElsomStatusId = (typeof ELSOM_STATUS)[keyof typeof ELSOM_STATUS];

export const ELSOM_STATUS_TEXT = {
  10: 'Не обработана',
  30: 'Авторизована',
  60: 'Проведена',
  125: 'Не смогли отправить провайдеру',
  130: 'Отказ от провайдера',
  160: 'Не проведена',
} as const satisfies Record<ElsomStatusId, string>;

export function isElsomStatusId(value: number): value is ElsomStatusId {
  return Object.hasOwn(ELSOM_STATUS_TEXT, value);
}

// ───────────────────────────── message types ─────────────────────────────

/** A wall-clock date and time in Elsom's zone, as written on the wire (no offset); only ServerTime has milliseconds. */
export type ElsomLocalDateTime = LocalDateTime;

/** `<extra name="…">value</extra>` not named by the spec's tables, kept in document order. */
export interface ElsomExtra {
  readonly name: string;
  readonly value: string;
}

/** Fields every request carries. */
interface ElsomRequestBase {
  /** protocol-version, O, Varchar(5). */
  readonly protocolVersion?: string;
  /** terminal-id, M, Number(10): the agent (digits, kept as text). */
  readonly terminalId: string;
  /** extra login, M, Varchar(100). */
  readonly login: string;
  /** extra password-md5, M, Varchar(100): hex MD5 of the password, any case (the spec's examples mask it). */
  readonly passwordMd5: string;
  /** extra client-software, O, Varchar(100) (tables 2.1, 2.2; accepted on every type). */
  readonly clientSoftware?: string;
  /** Any other `<extra>`, in document order. */
  readonly extras: readonly ElsomExtra[];
}

/** `<from><amount currency-code>` — the amount taken from the wallet. */
export interface ElsomFrom {
  /** from-amount, M: exact, in tyiyn (scale 2). */
  readonly amountMinor: bigint;
  /** from-amount-currency-code, O, Number(10). */
  readonly currencyCode?: number;
}

/** `<to>` of AUTHORIZE / PAYMENT requests. */
export interface ElsomRequestTo {
  /** to-service-id, M, Varchar(100). */
  readonly serviceId: string;
  /** to-account-number, M, Varchar(100). */
  readonly accountNumber: string;
  /** to-amount, M: exact, in tyiyn. */
  readonly amountMinor: bigint;
  /** to-amount-currency-code, M, Number(10) (417 = KGS). */
  readonly currencyCode: number;
}

export interface ElsomReceipt {
  /** receipt-datetime, M, ГГГГММДДччммсс. */
  readonly datetime: ElsomLocalDateTime;
  /** receipt-receipt-number, M, Varchar(100). */
  readonly receiptNumber: string;
}

interface ElsomTransferFields {
  /** transaction-number, M, Varchar(30): Elsom's id, up to 18+ digits with a leading zero — always text. */
  readonly transactionNumber: string;
  readonly from: ElsomFrom;
  readonly to: ElsomRequestTo;
  readonly receipt: ElsomReceipt;
}

/** request-type 1 (2.1). */
export interface ElsomAuthorizeRequest extends ElsomRequestBase, ElsomTransferFields {
  readonly requestType: 1;
  /** extra update_condition, O, Varchar(20). */
  readonly updateCondition?: string;
}

/** request-type 2 (2.2). */
export interface ElsomPaymentRequest extends ElsomRequestBase, ElsomTransferFields {
  readonly requestType: 2;
}

/** request-type 3 (2.3). */
export interface ElsomCancelPaymentRequest extends ElsomRequestBase {
  readonly requestType: 3;
  /** service-id, M, Varchar(30). */
  readonly serviceId: string;
  /** transaction-number, M, Varchar(30). */
  readonly transactionNumber: string;
}

/** request-type 4 (2.4). */
export interface ElsomPaymentListRequest extends ElsomRequestBase {
  readonly requestType: 4;
  /** service-id, M, Varchar(30). */
  readonly serviceId: string;
  /** datetime-from, M, ГГГГММДДччммсс. */
  readonly datetimeFrom: ElsomLocalDateTime;
  /** datetime-to, M, ГГГГММДДччммсс. */
  readonly datetimeTo: ElsomLocalDateTime;
}

export type ElsomRequest =
  | ElsomAuthorizeRequest
  | ElsomPaymentRequest
  | ElsomCancelPaymentRequest
  | ElsomPaymentListRequest;

/** `<to>` of AUTHORIZE / PAYMENT responses: to-service-id, to-amount, to-account-number (all M on success). */
export interface ElsomResponseToDetails {
  readonly serviceId?: string;
  readonly amountMinor?: bigint;
  readonly accountNumber?: string;
}

/** The spec's 2.2.2 example writes `<to>1</to>`; kept representable so that example decodes. Tolem never sends it. */
export interface ElsomResponseToText {
  readonly text: string;
}

export type ElsomResponseTo = ElsomResponseToDetails | ElsomResponseToText;

/** One `<row>` of the PAYMENT_LIST registry (2.4.2). */
export interface ElsomPaymentListRow {
  readonly transactionNumber: string;
  /** datetime, ДД.ММ.ГГГГ чч:мм:сс. */
  readonly datetime: ElsomLocalDateTime;
  readonly accountNumber: string;
  /** amount, written `10.00`. */
  readonly amountMinor: bigint;
}

/**
 * Any response, all four tables in one shape, elements in the order the spec's examples show them.
 * The tables mark most elements M, but a refusal cannot always fill them (a 202 for an unreadable body knows no
 * request-type; an AUTHORIZE refused for an unknown account has no txn-id), and the spec's own 2.2.2 example omits
 * txn-id; so only protocol-version and result-code are required here and mapping fills the rest per request type.
 */
export interface ElsomResponse {
  readonly protocolVersion: string;
  /** configuration-id, O, Numeric(20) (2.2.2). */
  readonly configurationId?: string;
  /** Absent only when the request's type could not be read. */
  readonly requestType?: ElsomRequestType;
  readonly terminalId?: string;
  readonly resultCode: ElsomResultCode;
  /** operator-id, Numeric(6). */
  readonly operatorId?: string;
  /** extra REMOTE_ADDR. */
  readonly remoteAddr?: string;
  /** extra serial. */
  readonly serial?: string;
  /** extra BALANCE: the agent's balance, may be negative. */
  readonly balanceMinor?: bigint;
  /** extra OVERDRAFT. */
  readonly overdraftMinor?: bigint;
  /** extra disp1: the account holder's name (AUTHORIZE; Varchar(20) in the table). */
  readonly disp1?: string;
  /** extra user_name (2.2.2; replaced by disp1 in AUTHORIZE since spec 1.5). */
  readonly userName?: string;
  /** extra ServerTime, `2015-08-04T00:00:47.467`. */
  readonly serverTime?: ElsomLocalDateTime;
  /** Other extras, written after ServerTime in this order. */
  readonly extras?: readonly ElsomExtra[];
  readonly statusId?: ElsomStatusId;
  readonly transactionNumber?: string;
  /** txn-id: our transaction id, text. */
  readonly txnId?: string;
  readonly to?: ElsomResponseTo;
  /** PAYMENT_LIST registry. */
  readonly rows?: readonly ElsomPaymentListRow[];
}

export type ElsomCharset = 'windows-1251' | 'utf-8';
export type ElsomCharsetSource = 'bom' | 'declaration' | 'content-type' | 'default';

export type ElsomDecodeReason =
  | 'body_too_large'
  | 'unsupported_charset'
  | 'undecodable_bytes'
  | 'doctype_forbidden'
  | 'entity_forbidden'
  | 'malformed_xml'
  | 'unexpected_root'
  | 'unknown_request_type'
  | 'missing_field'
  | 'duplicate_field'
  | 'invalid_field'
  | 'invalid_amount';

/** What could be read of a refused request, for echoing in the refusal. */
export interface ElsomRequestEcho {
  readonly protocolVersion?: string;
  readonly requestType?: ElsomRequestType;
  readonly terminalId?: string;
  readonly transactionNumber?: string;
}

export type ElsomRequestDecodeResult =
  | { readonly ok: true; readonly request: ElsomRequest; readonly charset: ElsomCharset }
  | {
      readonly ok: false;
      readonly resultCode: ElsomResultCode;
      readonly reason: ElsomDecodeReason;
      readonly detail: string;
      readonly echo: ElsomRequestEcho;
    };

export type ElsomResponseDecodeResult =
  | { readonly ok: true; readonly response: ElsomResponse; readonly charset: ElsomCharset }
  | { readonly ok: false; readonly reason: ElsomDecodeReason; readonly detail: string };

export interface ElsomDecodeOptions {
  /** Refuse bodies longer than this many bytes (default 64 KiB). */
  readonly maxBytes?: number;
}

// ───────────────────────────── refusals ─────────────────────────────

/** Internal: thrown by the readers, turned into a result at the public boundary. Never escapes this module. */
class ElsomRefusal extends Error {
  constructor(
    readonly reason: ElsomDecodeReason,
    readonly detail: string,
    readonly resultCode: ElsomResultCode = ELSOM_RESULT.BAD_REQUEST,
  ) {
    super(`${reason}: ${detail}`);
  }
}

function refuse(reason: ElsomDecodeReason, detail: string, resultCode?: ElsomResultCode): never {
  throw new ElsomRefusal(reason, detail, resultCode);
}

// ───────────────────────────── charset and text ─────────────────────────────

const CHARSET_ALIASES: ReadonlyMap<string, ElsomCharset> = new Map([
  ['windows-1251', 'windows-1251'],
  ['cp1251', 'windows-1251'],
  ['x-cp1251', 'windows-1251'],
  ['win-1251', 'windows-1251'],
  ['utf-8', 'utf-8'],
  ['utf8', 'utf-8'],
]);

function normalizeCharset(label: string): ElsomCharset {
  return CHARSET_ALIASES.get(label.trim().toLowerCase()) ?? refuse('unsupported_charset', label);
}

/**
 * Which charset decodes the body, in the shared order (src/xml/charset.ts): a UTF-8 BOM, else the XML declaration,
 * else the Content-Type charset, else windows-1251. The spec itself only shows `Content-Type: text/xml`.
 */
function resolveCharset(bytes: Buffer, contentType?: string): { charset: ElsomCharset; source: ElsomCharsetSource } {
  const choice = detectXmlCharset(bytes, { contentType, fallback: 'windows-1251' });
  if (choice.source === 'bom' && choice.label !== 'utf-8') refuse('unsupported_charset', 'UTF-16 byte order mark');
  return { charset: normalizeCharset(choice.label), source: choice.source };
}

/** The same choice, for logs and tests; undefined when the label that wins names a charset we do not read. */
export function resolveElsomCharset(
  bytes: Buffer,
  contentType?: string,
): { charset: ElsomCharset; source: ElsomCharsetSource } | undefined {
  try {
    return resolveCharset(bytes, contentType);
  } catch (error) {
    if (error instanceof ElsomRefusal) return undefined;
    throw error;
  }
}

function decodeText(bytes: Buffer, charset: ElsomCharset): string {
  // 0x98 is the one byte windows-1251 leaves undefined; the shared decoder refuses it.
  const text = decodeXmlBytes(bytes, charset);
  if (text !== undefined) return text;
  return refuse('undecodable_bytes', charset === 'utf-8' ? 'invalid UTF-8' : 'byte 0x98 in windows-1251');
}

function decodeBody(bytes: Buffer, contentType: string | undefined, maxBytes: number) {
  if (bytes.length > maxBytes) refuse('body_too_large', `${bytes.length} bytes > ${maxBytes}`);
  const { charset } = resolveCharset(bytes, contentType);
  return { charset, text: decodeText(bytes, charset) };
}

// ───────────────────────────── safe XML reading ─────────────────────────────

interface XmlElement {
  readonly name: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: readonly XmlElement[];
  /** Unescaped, trimmed text content. */
  readonly text: string;
}

const XML_PARSER = createXmlParser({ shape: 'ordered', maxDepth: 16 });

/** The shared policy's references only (five predefined entities, character references); any other is refused. */
function unescapeXml(raw: string): string {
  try {
    return decodeXmlReferences(raw);
  } catch (error) {
    if (!(error instanceof XmlReferenceError)) throw error;
    if (error.problem === 'unknown-entity') refuse('entity_forbidden', error.reference);
    return refuse('malformed_xml', error.problem === 'bare-ampersand' ? 'bare "&"' : `${error.reference} not a Char`);
  }
}

type FxpNode = Record<string, unknown>;

function readAttributes(node: FxpNode): Map<string, string> {
  const raw = node[':@'];
  const attributes = new Map<string, string>();
  if (typeof raw !== 'object' || raw === null) return attributes;
  for (const [name, value] of Object.entries(raw)) attributes.set(name, unescapeXml(String(value)));
  return attributes;
}

function toElement(name: string, node: FxpNode): XmlElement {
  const content = node[name];
  const children: XmlElement[] = [];
  let text = '';
  for (const child of Array.isArray(content) ? (content as FxpNode[]) : []) {
    if (Object.hasOwn(child, '#text')) text += unescapeXml(String(child['#text']));
    else children.push(...toElements([child]));
  }
  if (children.length > 0 && text.trim() !== '') refuse('malformed_xml', `mixed content in <${name}>`);
  return { name, attributes: readAttributes(node), children, text: text.trim() };
}

function toElements(nodes: readonly FxpNode[]): XmlElement[] {
  const elements: XmlElement[] = [];
  for (const node of nodes) {
    const name = Object.keys(node).find((key) => key !== ':@' && key !== '#text');
    if (name !== undefined) elements.push(toElement(name, node));
  }
  return elements;
}

/** Well-formedness first, then the tree. A DOCTYPE is refused before any parsing: the spec's bodies never need one. */
function parseXmlDocument(text: string): XmlElement {
  if (!screenDtd(text).ok) refuse('doctype_forbidden', 'DOCTYPE or ENTITY declaration');
  const body = text.replace(/^\uFEFF/, '').trimStart();
  const invalid = xmlWellFormedness(body);
  if (invalid) refuse('malformed_xml', `${invalid.message} (line ${invalid.line})`);
  let nodes: unknown;
  try {
    nodes = XML_PARSER.parse(body);
  } catch (error) {
    refuse('malformed_xml', error instanceof Error ? error.message : 'parser failure');
  }
  const roots = toElements(Array.isArray(nodes) ? (nodes as FxpNode[]) : []);
  const [root] = roots;
  if (root === undefined || roots.length !== 1) refuse('malformed_xml', 'exactly one root element expected');
  return root;
}

// ───────────────────────────── field readers ─────────────────────────────

type TextCheck = (value: string, field: string) => void;

function varchar(max: number): TextCheck {
  return (value, field) => {
    if ([...value].length > max) refuse('invalid_field', `${field} longer than ${max}`);
  };
}

function digits(max: number): TextCheck {
  return (value, field) => {
    if (!/^\d+$/.test(value) || value.length > max) refuse('invalid_field', `${field} is not Number(${max})`);
  };
}

function single(parent: XmlElement, name: string, path: string): XmlElement | undefined {
  const found = parent.children.filter((child) => child.name === name);
  if (found.length > 1) refuse('duplicate_field', path);
  return found[0];
}

function requiredElement(parent: XmlElement, name: string, path = name): XmlElement {
  return single(parent, name, path) ?? refuse('missing_field', path);
}

function leafText(element: XmlElement, path: string): string {
  if (element.children.length > 0) refuse('invalid_field', `${path} must be text`);
  return element.text;
}

function optionalText(parent: XmlElement, name: string, check: TextCheck, path = name): string | undefined {
  const element = single(parent, name, path);
  const value = element === undefined ? '' : leafText(element, path);
  if (value === '') return undefined;
  check(value, path);
  return value;
}

function requiredText(parent: XmlElement, name: string, check: TextCheck, path = name): string {
  return optionalText(parent, name, check, path) ?? refuse('missing_field', path);
}

/** `<extra name="…">` elements by name; a repeated name is refused (two password-md5 would be ambiguous). */
function readExtras(parent: XmlElement): Map<string, string> {
  const extras = new Map<string, string>();
  for (const element of parent.children.filter((child) => child.name === 'extra')) {
    const name = element.attributes.get('name') ?? refuse('invalid_field', 'extra without name');
    if (extras.has(name)) refuse('duplicate_field', `extra ${name}`);
    extras.set(name, leafText(element, `extra ${name}`));
  }
  return extras;
}

function extraText(extras: ReadonlyMap<string, string>, name: string, check: TextCheck): string | undefined {
  const value = extras.get(name);
  if (value === undefined || value === '') return undefined;
  check(value, `extra ${name}`);
  return value;
}

function requiredExtra(extras: ReadonlyMap<string, string>, name: string, check: TextCheck): string {
  return extraText(extras, name, check) ?? refuse('missing_field', `extra ${name}`);
}

function otherExtras(extras: ReadonlyMap<string, string>, known: ReadonlySet<string>): ElsomExtra[] {
  return [...extras].filter(([name]) => !known.has(name)).map(([name, value]) => ({ name, value }));
}

/** Request amounts: positive, at most two decimals, no exponent, no sign; every refusal is 275. */
function requestAmount(text: string, path: string): bigint {
  const parsed = parseAmount(text, 2);
  if (!parsed.ok) refuse('invalid_amount', `${path}: ${parsed.error}`, ELSOM_RESULT.INCORRECT_AMOUNT);
  return parsed.minor;
}

/** `<amount currency-code="417">10</amount>` inside `parent`. */
function readRequestAmount(parent: XmlElement, path: string, currencyRequired: boolean) {
  const element = requiredElement(parent, 'amount', `${path}/amount`);
  const text = leafText(element, `${path}/amount`);
  const amountMinor = text === '' ? refuse('missing_field', `${path}/amount`) : requestAmount(text, `${path}/amount`);
  const currencyText = element.attributes.get('currency-code')?.trim() ?? '';
  if (currencyText === '' && currencyRequired) refuse('missing_field', `${path}/amount@currency-code`);
  if (currencyText === '') return { amountMinor };
  digits(10)(currencyText, `${path}/amount@currency-code`);
  return { amountMinor, currencyCode: Number(currencyText) };
}

function requiredCompactDate(parent: XmlElement, name: string, path = name): ElsomLocalDateTime {
  const text = requiredText(parent, name, varchar(100), path);
  return parseElsomCompactDateTime(text) ?? refuse('invalid_field', `${path} is not ГГГГММДДччммсс`);
}

// ───────────────────────────── request decoding (gateway side) ─────────────────────────────

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
    const { resultCode, reason, detail } = error;
    return { ok: false, resultCode, reason, detail, echo: readEcho(root) };
  }
}

// ───────────────────────────── XML writing ─────────────────────────────

/** Elsom's bytes: the shared writer's windows-1251 style (indented, `<name/>`, references for what 1251 lacks). */
type XmlOut = XmlNode;

function renderDocument(root: XmlOut, charset: ElsomCharset): Buffer {
  return new XmlWriter({ ...ELSOM_STYLE, charset }).declaration().element(root).toBytes();
}

function leaf(name: string, text: string | number | undefined): XmlOut | undefined {
  return text === undefined ? undefined : { name, text: String(text) };
}

function extraOut(name: string, value: string | undefined): XmlOut | undefined {
  return value === undefined ? undefined : { name: 'extra', attributes: [['name', name]], text: value };
}

function present(nodes: readonly (XmlOut | undefined)[]): XmlOut[] {
  return nodes.filter((node): node is XmlOut => node !== undefined);
}

// ───────────────────────────── response encoding (gateway side) ─────────────────────────────

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

// ───────────────────────────── request encoding (simulator side) ─────────────────────────────

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

// ───────────────────────────── response decoding (simulator side) ─────────────────────────────

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

function isRequestType(value: number): value is ElsomRequestType {
  return value === 1 || value === 2 || value === 3 || value === 4;
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

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
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
    return { ok: false, reason: error.reason, detail: error.detail };
  }
}

// ───────────────────────────── dates ─────────────────────────────

const COMPACT_DATE_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;
const REGISTRY_DATE_TIME = /^(\d{2})\.(\d{2})\.(\d{4}) (\d{2}):(\d{2}):(\d{2})$/;
const SERVER_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/;

function localDateTime(parts: readonly number[]): ElsomLocalDateTime | undefined {
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millisecond = 0] = parts;
  return year >= 1000 ? realLocalDateTime(year, month, day, hour, minute, second, millisecond) : undefined;
}

const pad = (value: number, width = 2) => value.toString().padStart(width, '0');

/** `20150804000113` (ГГГГММДДччммсс) → wall-clock fields; undefined if not a real date and time. */
export function parseElsomCompactDateTime(text: string): ElsomLocalDateTime | undefined {
  const match = COMPACT_DATE_TIME.exec(text);
  return match === null ? undefined : localDateTime(match.slice(1).map(Number));
}

/** `04.08.2015 00:03:59` (ДД.ММ.ГГГГ чч:мм:сс, the PAYMENT_LIST registry) → wall-clock fields. */
export function parseElsomRegistryDateTime(text: string): ElsomLocalDateTime | undefined {
  const match = REGISTRY_DATE_TIME.exec(text);
  if (match === null) return undefined;
  const [, day, month, year, hour, minute, second] = match.map(Number);
  return localDateTime([year ?? 0, month ?? 0, day ?? 0, hour ?? 0, minute ?? 0, second ?? 0]);
}

/** `2015-08-04T00:00:47.467` (extra ServerTime) → wall-clock fields with milliseconds. */
export function parseElsomServerTime(text: string): ElsomLocalDateTime | undefined {
  const match = SERVER_TIME.exec(text);
  if (match === null) return undefined;
  const millisecond = Number((match[7] ?? '').padEnd(3, '0'));
  return localDateTime([...match.slice(1, 7).map(Number), millisecond]);
}

export function formatElsomCompactDateTime(local: ElsomLocalDateTime): string {
  return `${pad(local.year, 4)}${pad(local.month)}${pad(local.day)}${pad(local.hour)}${pad(local.minute)}${pad(local.second)}`;
}

export function formatElsomRegistryDateTime(local: ElsomLocalDateTime): string {
  return `${pad(local.day)}.${pad(local.month)}.${pad(local.year, 4)} ${pad(local.hour)}:${pad(local.minute)}:${pad(local.second)}`;
}

export function formatElsomServerTime(local: ElsomLocalDateTime): string {
  const date = `${pad(local.year, 4)}-${pad(local.month)}-${pad(local.day)}`;
  return `${date}T${pad(local.hour)}:${pad(local.minute)}:${pad(local.second)}.${pad(local.millisecond, 3)}`;
}

/** An instant → Elsom's wall clock at a fixed UTC offset (Kyrgyzstan: +360 minutes, no DST). */
export function toElsomLocal(instant: Date, utcOffsetMinutes: number): ElsomLocalDateTime {
  return toLocalDateTime(instant, utcOffsetMinutes);
}

/** Elsom's wall clock at a fixed UTC offset → the instant. */
export function fromElsomLocal(local: ElsomLocalDateTime, utcOffsetMinutes: number): Date {
  return fromLocalDateTime(local, utcOffsetMinutes);
}

/** An instant as `YYYYMMDDhhmmss` in the given UTC offset. */
export function formatElsomDateTime(instant: Date, utcOffsetMinutes: number): string {
  return formatElsomCompactDateTime(toElsomLocal(instant, utcOffsetMinutes));
}

// ───────────────────────────── identifiers and authentication ─────────────────────────────

/**
 * The spec's examples send `021508040001364907` and answer `21508040001364907` (leading zero lost on Elsom's
 * side of the example). Equal when identical, or when both are digits and equal without leading zeros.
 */
export function sameElsomTransactionNumber(a: string, b: string): boolean {
  if (a === b) return true;
  return /^\d+$/.test(a) && /^\d+$/.test(b) && a.replace(/^0+/, '') === b.replace(/^0+/, '');
}

/** Hex MD5 of the password's UTF-8 bytes, lowercase: what Elsom sends as extra password-md5. */
export function md5Hex(password: string): string {
  return createHash('md5').update(password, 'utf8').digest('hex');
}

const MD5_HEX = /^[0-9a-f]{32}$/;

/** Constant-time comparison of two hex MD5 digests, any case; anything that is not 32 hex digits never matches. */
export function elsomPasswordMatches(expectedMd5Hex: string, givenHex: string): boolean {
  const expected = expectedMd5Hex.toLowerCase();
  const given = givenHex.toLowerCase();
  if (!MD5_HEX.test(expected) || !MD5_HEX.test(given)) return false;
  return timingSafeEqual(Buffer.from(expected, 'ascii'), Buffer.from(given, 'ascii'));
}
