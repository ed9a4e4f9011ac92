/**
 * Assist card gateway codec (spec: assist-two-stage.txt). Tolem is the merchant: authorise with the order form
 * (Delay=1), then charge (charge.cfm) or release the hold (cancel.cfm); order-state lookups resolve unknowns.
 * Pure: bytes ⇄ typed messages in both directions (our client and the Assist simulator). No I/O, no business rules.
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
  parseAssistAnswer,
  readAssistOrder,
  type AssistAnswer,
  type AssistFormat,
  type AssistFormatCode,
  type AssistOrderResult,
} from './answer.ts';
export { encodeAssistAnswer, type AssistAnswerToEncode } from './answer-encode.ts';
export {
  ASSIST_CANCEL_STATE_OUTCOME,
  ASSIST_CHARGE_STATE_OUTCOME,
  ASSIST_ORDER_STATES,
  ASSIST_ORDER_STATE_PHASE,
  assistOrderPhase,
  assistResponseCodeKind,
  classifyAssistAnswer,
  parseAssistOrderState,
  type AssistOrderPhase,
  type AssistOrderState,
  type AssistOutcome,
  type AssistOutcomeKind,
  type AssistResponseCodeKind,
  type AssistStateTable,
} from './status.ts';
export {
  DEFAULT_ASSIST_SIGNATURE_DIGEST,
  assistSignatureBase,
  signAssistResponse,
  verifyAssistSignature,
  type AssistSignatureDigest,
} from './signature.ts';
export type { AssistFieldPair, AssistHttpBody, Parsed } from './form.ts';
export {
  ASSIST_LANGUAGE_BY_PAGE,
  AssistCodecError,
  assistOrderFormFields,
  assistTransportFor,
  buildAssistOrderForm,
  encodeAssistOrderForm,
  parseAssistAmount,
  parseAssistFormatCode,
  parseAssistOrderForm,
  type AssistCredentials,
  type AssistLanguage,
  type AssistOrderForm,
  type AssistOrderFormInput,
  type AssistOrderFormReceived,
  type PageLanguage,
} from './requests.ts';
export {
  ASSIST_PATHS,
  assistChargeFields,
  buildAssistCancelRequest,
  buildAssistChargeRequest,
  buildAssistOrderStateRequest,
  encodeAssistCancelRequest,
  encodeAssistChargeRequest,
  encodeAssistOrderStateRequest,
  parseAssistCancelRequest,
  parseAssistChargeRequest,
  parseAssistOrderStateRequest,
  type AssistCancelInput,
  type AssistCancelReceived,
  type AssistCancelRequest,
  type AssistChargeInput,
  type AssistChargeReceived,
  type AssistChargeRequest,
  type AssistOrderStateInput,
  type AssistOrderStateReceived,
  type AssistOrderStateRequest,
  type AssistPartialAmount,
} from './services.ts';
