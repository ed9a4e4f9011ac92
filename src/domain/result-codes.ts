/**
 * Result codes of the agent API v20 (the table of result codes, «Таблица 1», of the agent API document), with their
 * finality; docs/protocols/agent-api.md explains them and /docs shows the table generated from here. They are the
 * engine's own vocabulary too: every protocol maps its partner's codes to and from these.
 */
export const RESULT = {
  OK: 0,
  IN_PROCESSING: 1,
  BAD_ACCOUNT_FORMAT: 4,
  ACCOUNT_NOT_FOUND: 5,
  FORBIDDEN_BY_PROVIDER: 7,
  FORBIDDEN_TECHNICAL: 8,
  SERVICE_NOT_IMPLEMENTED: 130,
  /** Not in the agent API document's table: borrowed from the Elsom code list for refused credentials. */
  AUTH_FAILED: 150,
  SECURITY_REVIEW: 153,
  SERVICE_FORBIDDEN: 155,
  BAD_REQUEST: 202,
  DUPLICATE_TRANSACTION: 215,
  INSUFFICIENT_FUNDS: 220,
  BALANCE_NOT_TOPPED_UP: 250,
  AMOUNT_TOO_SMALL: 241,
  AMOUNT_TOO_LARGE: 242,
  FEE_NOT_ALLOWED: 255,
  OTHER_ERROR: 300,
} as const;

export type ResultCode = (typeof RESULT)[keyof typeof RESULT];

type CodeInfo = { final: boolean; message: string };

/** Finality exactly as the agent API document's table: every code but 1, 153, 220 and 255 is final. */
export const RESULT_INFO = {
  0: { final: true, message: 'OK' },
  1: { final: false, message: 'Запрос в обработке, повторите запрос позже' },
  4: { final: true, message: 'Неверный формат идентификатора абонента' },
  5: { final: true, message: 'Идентификатор абонента не найден' },
  7: { final: true, message: 'Прием платежа запрещен провайдером' },
  8: { final: true, message: 'Прием платежа запрещен по техническим причинам' },
  130: { final: true, message: 'Работа с данным сервисом не реализована' },
  150: { final: true, message: 'Неверный логин/пароль или нет прав' },
  153: { final: false, message: 'Платеж на проверке в СБ' },
  155: { final: true, message: 'Прием платежа по данному сервису запрещен' },
  202: { final: true, message: 'Ошибка данных запроса' },
  215: { final: true, message: 'Транзакция с таким номером уже есть в базе' },
  220: { final: false, message: 'Недостаток средств у агента' },
  250: { final: true, message: 'Не был пополнен баланс агента' },
  241: { final: true, message: 'Сумма слишком мала' },
  242: { final: true, message: 'Сумма слишком велика' },
  255: { final: false, message: 'Недопустимая дополнительная комиссия' },
  300: { final: true, message: 'Другая ошибка' },
} as const satisfies Record<ResultCode, CodeInfo>;

export function isFinal(code: ResultCode): boolean {
  return RESULT_INFO[code].final;
}

export function defaultMessage(code: ResultCode): string {
  return RESULT_INFO[code].message;
}

export function isResultCode(value: number): value is ResultCode {
  return Object.hasOwn(RESULT_INFO, value);
}
