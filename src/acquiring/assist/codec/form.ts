import { parseJsonLossless, jsonScalarText } from './json.ts';
import { isObject, leafText, decodeXmlDocument, escapeXml } from './xml.ts';
import { fail, succeed, type Failure, type Result } from '../../../domain/result.ts';

/** Transport helpers shared by the request codecs: name/value pairs ⇄ form, JSON and SOAP bodies. */

export type AssistFieldPair = readonly [name: string, value: string];

export interface AssistHttpBody {
  readonly contentType: string;
  readonly body: string;
}

/** Why a request could not be read (simulator side): its body, or one of its parameters. */
export type AssistDecodeFailure = Failure<'not_json_object' | 'not_xml' | 'no_soap_operation' | 'not_scalar' | 'repeated_parameter' | 'missing_field' | 'invalid_field'>;

export type Decoded<T> = Result<T, AssistDecodeFailure>;

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
export const SOAP_CONTENT_TYPE = 'text/xml; charset=utf-8';

/** Keeps the pairs whose value is defined, in the given order. */
export function definedPairs(pairs: ReadonlyArray<readonly [string, string | undefined]>): AssistFieldPair[] {
  return pairs.filter((pair): pair is readonly [string, string] => pair[1] !== undefined);
}

export function encodeFormBody(pairs: readonly AssistFieldPair[]): AssistHttpBody {
  return { contentType: FORM_CONTENT_TYPE, body: new URLSearchParams(pairs.map(([k, v]): [string, string] => [k, v])).toString() };
}

export function encodeJsonBody(pairs: readonly AssistFieldPair[]): AssistHttpBody {
  return { contentType: JSON_CONTENT_TYPE, body: JSON.stringify(Object.fromEntries(pairs)) };
}

const SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
export const ASSIST_SOAP_NS = 'http://www.paysecure.ru/message/';

/** A SOAP request for `operation` in Assist's message namespace (the namespace of the spec's SOAP answer). */
export function encodeSoapBody(operation: string, pairs: readonly AssistFieldPair[]): AssistHttpBody {
  const params = pairs.map(([k, v]) => `<${k}>${escapeXml(v)}</${k}>`).join('');
  const body =
    `<?xml version='1.0' encoding='utf-8'?>` +
    `<SOAP-ENV:Envelope xmlns:SOAP-ENV='${SOAP_ENV}'><SOAP-ENV:Body>` +
    `<ASS-NS:${operation} xmlns:ASS-NS='${ASSIST_SOAP_NS}'>${params}</ASS-NS:${operation}>` +
    `</SOAP-ENV:Body></SOAP-ENV:Envelope>`;
  return { contentType: SOAP_CONTENT_TYPE, body };
}

/**
 * Request parameters by lower-cased name. Assist's `.cfm` endpoints are ColdFusion, whose form scope ignores case,
 * and the spec itself writes both `Billnumber` (table) and `BillNumber` (example). A repeated name is refused.
 */
export type FieldMap = ReadonlyMap<string, string>;

export function decodeRequestBody(body: string, contentType: string): Decoded<FieldMap> {
  const type = contentType.toLowerCase();
  if (type.includes('json')) return parseJsonFields(body);
  if (type.includes('xml')) return parseSoapFields(body);
  return parseFormFields(body);
}

function parseFormFields(body: string): Decoded<FieldMap> {
  const fields = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(body)) {
    const key = name.toLowerCase();
    if (fields.has(key)) return fail('repeated_parameter', `parameter ${name} repeated`);
    fields.set(key, value);
  }
  return succeed(fields);
}

function parseJsonFields(body: string): Decoded<FieldMap> {
  const parsed = parseJsonLossless(body);
  if (!isObject(parsed)) return fail('not_json_object', 'body is not a JSON object');
  return collect(Object.entries(parsed), jsonScalarText);
}

function parseSoapFields(body: string): Decoded<FieldMap> {
  const doc = decodeXmlDocument(body);
  if (!doc.ok) return doc;
  const envelope = doc.value['Envelope'];
  const soapBody = isObject(envelope) ? envelope['Body'] : undefined;
  const operation = isObject(soapBody) ? Object.values(soapBody).find(isObject) : undefined;
  if (!operation) return fail('no_soap_operation', 'no operation in SOAP Body');
  return collect(
    Object.entries(operation).filter(([k]) => !k.startsWith('@_')),
    leafText,
  );
}

function collect(entries: [string, unknown][], read: (v: unknown) => string | undefined): Decoded<FieldMap> {
  const fields = new Map<string, string>();
  for (const [name, raw] of entries) {
    const value = read(raw);
    const key = name.toLowerCase();
    if (value === undefined) return fail('not_scalar', `parameter ${name} is not a scalar`);
    if (fields.has(key)) return fail('repeated_parameter', `parameter ${name} repeated`);
    fields.set(key, value);
  }
  return succeed(fields);
}
