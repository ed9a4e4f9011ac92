/**
 * Assist card gateway codec (docs/protocols/assist.md). Tolem is the merchant: authorise with the order form
 * (Delay=1), then charge (charge.cfm) or release the hold (cancel.cfm); order-state lookups resolve unknowns.
 * Pure: bytes ⇄ typed messages in both directions (our client and the Assist simulator), `decode*` and `encode*`; the
 * messages are built from our values in ../mapping.ts. A decoder never throws: a request it cannot read is
 * `{ ok: false, failure }` (src/domain/result.ts), an answer it cannot read `{ kind: 'unreadable', detail }`.
 */
export {
  ASSIST_ANSWER_FIELDS,
  ASSIST_SIGNED_FIELDS,
  type AssistAnswerField,
  type AssistOrderRecord,
  type AssistSignedField,
} from './fields.ts';
export {
  ASSIST_FORMAT_CODE,
  decodeAssistAnswer,
  readAssistOrder,
  type AssistAnswer,
  type AssistFormat,
  type AssistFormatCode,
  type AssistOrderResult,
} from './answer.ts';
export { encodeAssistAnswer, type AssistAnswerToEncode } from './answer-encode.ts';
export {
  DEFAULT_ASSIST_SIGNATURE_DIGEST,
  assistSignatureBase,
  signAssistResponse,
  verifyAssistSignature,
  type AssistSignatureDigest,
} from './signature.ts';
export type { AssistDecodeFailure, AssistFieldPair, AssistHttpBody, Decoded } from './form.ts';
export {
  ASSIST_LANGUAGE_BY_PAGE,
  ASSIST_RULES,
  AssistCodecError,
  assistCredentialFields,
  assistOrderFormFields,
  assistTransportFor,
  checkAssistBillnumber,
  checkAssistField,
  decodeAssistOrderForm,
  encodeAssistOrderForm,
  formatAssistAmount,
  parseAssistAmount,
  parseAssistFormatCode,
  type AssistCredentials,
  type AssistLanguage,
  type AssistOrderForm,
  type AssistOrderFormReceived,
  type PageLanguage,
} from './requests.ts';
export {
  ASSIST_PATHS,
  assistChargeFields,
  decodeAssistCancelRequest,
  decodeAssistChargeRequest,
  decodeAssistOrderStateRequest,
  encodeAssistCancelRequest,
  encodeAssistChargeRequest,
  encodeAssistOrderStateRequest,
  type AssistCancelReceived,
  type AssistCancelRequest,
  type AssistChargeReceived,
  type AssistChargeRequest,
  type AssistOrderStateReceived,
  type AssistOrderStateRequest,
  type AssistPartialAmount,
} from './services.ts';
