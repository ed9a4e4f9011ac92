import { ASSIST_ANSWER_FIELDS, type AssistOrderRecord } from './fields.ts';
import type { AssistFormat } from './answer.ts';
import { ASSIST_SOAP_NS, JSON_CONTENT_TYPE, SOAP_CONTENT_TYPE, type AssistHttpBody } from './form.ts';
import { escapeXml } from './xml.ts';

/** Simulator side: an answer to encode. firstcode = secondcode = "0" means processed (the orders carry the result). */
export interface AssistAnswerToEncode {
  readonly firstcode: string;
  readonly secondcode: string;
  readonly orders: readonly AssistOrderRecord[];
}

const ENCODERS = {
  xml: encodeXml,
  soap: encodeSoap,
  json: encodeJson,
  csv: encodeCsv,
} satisfies Record<AssistFormat, (answer: AssistAnswerToEncode) => AssistHttpBody>;

/** Encodes an answer in the requested format, as the spec's examples lay it out. */
export function encodeAssistAnswer(answer: AssistAnswerToEncode, format: AssistFormat): AssistHttpBody {
  return ENCODERS[format](answer);
}

const processed = (a: AssistAnswerToEncode) => Number(a.firstcode) === 0 && Number(a.secondcode) === 0;

/** The record's fields in the DTD order, skipping absent ones. */
function orderedEntries(record: AssistOrderRecord): Array<[string, string]> {
  return ASSIST_ANSWER_FIELDS.flatMap((field) => {
    const value = record[field];
    return value === undefined ? [] : [[field, value] as [string, string]];
  });
}

function encodeXml(answer: AssistAnswerToEncode): AssistHttpBody {
  const orders = processed(answer) ? answer.orders : [];
  const inner = orders
    .map((o) => `<order>${orderedEntries(o).map(([k, v]) => `<${k}>${escapeXml(v)}</${k}>`).join('')}</order>`)
    .join('');
  const codes = `firstcode="${escapeXml(answer.firstcode)}" secondcode="${escapeXml(answer.secondcode)}"`;
  const attrs = `${codes} count="${orders.length}"`;
  const body =
    `<?xml version='1.0' encoding='utf-8' standalone='yes'?>\n` +
    `<result ${attrs}>${orders.length > 0 ? `<orders>${inner}</orders>` : ''}</result>\n`;
  return { contentType: 'text/xml; charset=utf-8', body };
}

function encodeJson(answer: AssistAnswerToEncode): AssistHttpBody {
  const orders = processed(answer) ? answer.orders.map((o) => Object.fromEntries(orderedEntries(o))) : [];
  const body = JSON.stringify({
    firstcode: answer.firstcode,
    secondcode: answer.secondcode,
    count: String(orders.length),
    orders,
  });
  return { contentType: JSON_CONTENT_TYPE, body };
}

/** `key: value` lines as in the spec's CSV example; line breaks inside values are flattened to spaces. */
function encodeCsv(answer: AssistAnswerToEncode): AssistHttpBody {
  const lines: Array<[string, string]> = processed(answer)
    ? (answer.orders[0] === undefined ? [] : orderedEntries({ signature: '', ...answer.orders[0] }))
    : [
        ['firstcode', answer.firstcode],
        ['secondcode', answer.secondcode],
      ];
  const body = lines.map(([k, v]) => `${k}: ${v.replace(/\s+/g, ' ')}`).join('\n') + '\n';
  return { contentType: 'text/plain; charset=utf-8', body };
}

const SOAP_HEAD =
  `<?xml version='1.0' encoding='utf-8' standalone='no'?>\n` +
  `<SOAP-ENV:Envelope xmlns:SOAP-ENV='http://schemas.xmlsoap.org/soap/envelope/' ` +
  `SOAP-ENV:encodingStyle='http://schemas.xmlsoap.org/soap/encoding/' ` +
  `xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' xmlns:xsd='http://www.w3.org/2001/XMLSchema'>\n<SOAP-ENV:Body>`;
const SOAP_TAIL = `</SOAP-ENV:Body></SOAP-ENV:Envelope>\n`;

/** As the spec's SOAP example (MakeChargeResponse, `orderidnumber`); an unprocessed request is a SOAP Fault. */
function encodeSoap(answer: AssistAnswerToEncode): AssistHttpBody {
  const order = answer.orders[0];
  if (!processed(answer) || order === undefined) {
    const fault = `firstcode=${answer.firstcode} secondcode=${answer.secondcode}`;
    const faultXml =
      `<SOAP-ENV:Fault><faultcode>SOAP-ENV:Server</faultcode>` +
      `<faultstring>${escapeXml(fault)}</faultstring></SOAP-ENV:Fault>`;
    const body = `${SOAP_HEAD}${faultXml}${SOAP_TAIL}`;
    return { contentType: SOAP_CONTENT_TYPE, body };
  }
  const fields = orderedEntries(order)
    .map(([k, v]) => (k === 'ordernumber' ? ['orderidnumber', v] : [k, v]))
    .map(([k, v]) => `<${k} xsi:type='xsd:string'>${escapeXml(v ?? '')}</${k}>`)
    .join('\n');
  const body =
    `${SOAP_HEAD}\n<ASS-NS:MakeChargeResponse xmlns:ASS-NS='${ASSIST_SOAP_NS}'>\n` +
    `<return xmlns:si='http://www.paysecure.ru/type/' xsi:type='si:SOAPStruct'>\n${fields}\n</return>\n` +
    `</ASS-NS:MakeChargeResponse>${SOAP_TAIL}`;
  return { contentType: SOAP_CONTENT_TYPE, body };
}
