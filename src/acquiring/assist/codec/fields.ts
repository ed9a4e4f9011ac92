/**
 * Assist answer field names, exactly as the charge answer carries them (spec "Список параметров ответа" and the
 * XML DTD of the charge example). The order is the DTD's, which is also the order we encode in.
 */
export const ASSIST_ANSWER_FIELDS = [
  'ordernumber',
  'responsecode',
  'recommendation',
  'message',
  'ordercomment',
  'orderdate',
  'amount',
  'currency',
  'meantypename',
  'meannumber',
  'lastname',
  'firstname',
  'middlename',
  'issuebank',
  'email',
  'bankcountry',
  'rate',
  'approvalcode',
  'meansubtype',
  'cardholder',
  'cardexpirationdate',
  'ipaddress',
  'protocoltypename',
  'testmode',
  'customermessage',
  'orderstate',
  'processingname',
  'operationtype',
  'billnumber',
  'orderamount',
  'ordercurrency',
  'slipno',
  'packetdate',
  'signature',
  'pareq',
  'acsurl',
] as const;

export type AssistAnswerField = (typeof ASSIST_ANSWER_FIELDS)[number];

/** One order of an answer as it is on the wire: trimmed text values, absent fields absent. */
export type AssistOrderRecord = Partial<Record<AssistAnswerField, string>>;

/**
 * Other spellings the spec uses for the same fields: the parameter table writes `Email` and `protocoltype`,
 * the SOAP example writes `orderidnumber` for the order number. Keys are lower-cased before lookup.
 */
const ASSIST_FIELD_ALIASES: Readonly<Record<string, AssistAnswerField>> = {
  orderidnumber: 'ordernumber',
  protocoltype: 'protocoltypename',
};

const FIELD_SET: ReadonlySet<string> = new Set(ASSIST_ANSWER_FIELDS);

/** Maps a wire key (any case, any documented alias) to the canonical field, or undefined when it is not one. */
export function canonicalAssistField(key: string): AssistAnswerField | undefined {
  const lower = key.toLowerCase();
  const alias = ASSIST_FIELD_ALIASES[lower];
  if (alias) return alias;
  return FIELD_SET.has(lower) ? (lower as AssistAnswerField) : undefined;
}

/** Every key spelling the key-value ("CSV") answer may contain, longest first so a regex prefers full names. */
export const ASSIST_KEY_SPELLINGS: readonly string[] = [
  ...ASSIST_ANSWER_FIELDS,
  ...Object.keys(ASSIST_FIELD_ALIASES),
].sort((a, b) => b.length - a.length);

/** The fields the response signature covers, in the spec's order (the spec writes the first as "bill number"). */
export const ASSIST_SIGNED_FIELDS = [
  'billnumber',
  'ordernumber',
  'responsecode',
  'orderamount',
  'ordercurrency',
  'meannumber',
  'approvalcode',
  'orderstate',
  'packetdate',
] as const satisfies readonly AssistAnswerField[];

export type AssistSignedField = (typeof ASSIST_SIGNED_FIELDS)[number];
