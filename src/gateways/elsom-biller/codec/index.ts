/**
 * Elsom biller XML protocol (Elsom's document for billers, protocol 4.00; docs/protocols/elsom-biller.md): bytes ⇄
 * typed messages, in both directions, one file per concern.
 * Gateway side: decodeElsomRequest / encodeElsomResponse. Wallet-simulator side: encodeElsomRequest /
 * decodeElsomResponse. Pure: no HTTP, no database, no business rules (limits, currency, auth decisions live in mapping).
 * See README.md beside this folder for the partner's quirks and the decisions taken here. This index re-exports the
 * codec's public names; the readers and writers behind them stay inside the folder.
 */
export {
  ELSOM_PROTOCOL_VERSION, ELSOM_DEFAULT_MAX_BYTES, ELSOM_DEFAULT_UTC_OFFSET_MINUTES, ELSOM_REQUEST_TYPE, type
  ElsomRequestType, type ElsomResultCodeInfo, ELSOM_RESULT_CODES, type ElsomResultCode, ELSOM_RESULT,
  isElsomResultCode, ELSOM_STATUS, type ElsomStatusId, ELSOM_STATUS_TEXT, isElsomStatusId,
} from './tables.ts';
export {
  type ElsomLocalDateTime, type ElsomExtra, type ElsomFrom, type ElsomRequestTo, type ElsomReceipt, type
  ElsomAuthorizeRequest, type ElsomPaymentRequest, type ElsomCancelPaymentRequest, type ElsomPaymentListRequest,
  type ElsomRequest, type ElsomResponseToDetails, type ElsomResponseToText, type ElsomResponseTo, type
  ElsomPaymentListRow, type ElsomResponse, type ElsomCharset, type ElsomCharsetSource, type ElsomDecodeReason, type
  ElsomRequestEcho, type ElsomDecodeFailure, type ElsomRequestFailure, type ElsomRequestDecodeResult, type ElsomResponseDecodeResult, type ElsomDecodeOptions,
} from './messages.ts';
export { resolveElsomCharset } from './charset.ts';
export { decodeElsomRequest } from './decode-request.ts';
export { encodeElsomResponse } from './encode-response.ts';
export { formatElsomRequestAmount, encodeElsomRequest } from './encode-request.ts';
export { decodeElsomResponse } from './decode-response.ts';
export {
  parseElsomCompactDateTime, parseElsomRegistryDateTime, parseElsomServerTime, formatElsomCompactDateTime,
  formatElsomRegistryDateTime, formatElsomServerTime, toElsomLocal, fromElsomLocal, formatElsomDateTime,
} from './dates.ts';
export { sameElsomTransactionNumber, md5Hex, elsomPasswordMatches } from './identifiers.ts';
