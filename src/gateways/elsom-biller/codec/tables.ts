/** Elsom biller codec — The spec's tables: protocol version, request types, result codes with their finality, payment statuses. */
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

export function isRequestType(value: number): value is ElsomRequestType {
  return value === 1 || value === 2 || value === 3 || value === 4;
}
