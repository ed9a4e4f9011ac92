/**
 * Bytes → a parsed XML tree, refusing what must be refused before any parser sees it: oversized input, any DTD
 * (XXE, billion laughs), HTML error pages, text that is not XML, truncated or ill-formed XML. The DTD and entity
 * policy, charset detection and parser options are the shared ones (src/xml/read.ts); this module adds what is
 * Alseco's: HTML error pages, the truncation diagnosis and the SOAP tree helpers.
 */
import type { Failure } from '../../../domain/result.ts';
import {
  createXmlParser, decodeXmlBytes, decodeXmlReferences, detectXmlCharset, screenDtd, XmlReferenceError, xmlWellFormedness,
} from '../../../xml/index.ts';

/** 32 MiB: a month of GetBillInfo for a large bank fits several times over. */
export const ALSECO_DEFAULT_MAX_BYTES = 32 * 1024 * 1024;

export type AlsecoMalformedReason =
  | 'empty'
  | 'bad-encoding'
  | 'not-xml'
  | 'truncated'
  | 'not-well-formed'
  | 'not-soap'
  | 'unexpected-element'
  | 'unknown-method'
  | 'unknown-namespace'
  | 'invalid-value';

/**
 * Why a message could not be read at all; never thrown to the caller. Each is a Failure (src/domain/result.ts): a
 * kind and a detail, with what that kind adds (the sizes, the HTML page's title, what was malformed).
 */
export type AlsecoReadFailure =
  | (Failure<'too-large'> & { bytes: number; maxBytes: number })
  | Failure<'dtd-forbidden'>
  | (Failure<'html'> & { title: string | undefined })
  | (Failure<'malformed'> & { reason: AlsecoMalformedReason });

/** fast-xml-parser's output: text, or an object of attributes ('@_name'), '#text', '#cdata' and child elements. */
export type XValue = string | XObject;
export interface XObject {
  [key: string]: XValue | XValue[] | undefined;
}

/** Thrown inside the codec only, turned into a `malformed` outcome at the boundary. */
export class AlsecoDecodeError extends Error {
  constructor(
    readonly reason: AlsecoMalformedReason,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'AlsecoDecodeError';
  }
}

export type ReadXml = { ok: true; rootName: string; root: XValue } | { ok: false; failure: AlsecoReadFailure };

// SOAP answers of this partner nest about a dozen levels; anything far deeper is an attack or garbage.
const parser = createXmlParser({ shape: 'grouped', maxDepth: 200 });

function malformed(reason: AlsecoMalformedReason, detail: string): { ok: false; failure: AlsecoReadFailure } {
  return { ok: false, failure: { kind: 'malformed', reason, detail } };
}

function htmlPage(title: string | undefined): AlsecoReadFailure {
  return { kind: 'html', detail: title === undefined ? 'an HTML page' : `an HTML page "${title}"`, title };
}

export function readXml(input: string | Uint8Array, maxBytes = ALSECO_DEFAULT_MAX_BYTES): ReadXml {
  const bytes = typeof input === 'string' ? utf8Length(input, maxBytes) : input.byteLength;
  if (bytes > maxBytes) return { ok: false, failure: { kind: 'too-large', detail: `${bytes} bytes, more than ${maxBytes}`, bytes, maxBytes } };
  const text = typeof input === 'string' ? input : bytesToText(input);
  if (text === undefined) return malformed('bad-encoding', 'the bytes are not valid in the declared encoding');
  return readText(normaliseLineEnds(text.replace(/^\uFEFF/, '')));
}

/** String length is a lower bound of the UTF-8 size, so a huge string is refused without measuring it. */
function utf8Length(text: string, maxBytes: number): number {
  return text.length > maxBytes ? text.length : Buffer.byteLength(text, 'utf8');
}

/** XML 1.0 §2.11: CR LF and lone CR read as LF (a real CR travels as &#xD;). */
function normaliseLineEnds(text: string): string {
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

/** BOM first, then the XML declaration; UTF-8 when neither says otherwise (the spec's messages are UTF-8). */
function bytesToText(bytes: Uint8Array): string | undefined {
  return decodeXmlBytes(bytes, detectXmlCharset(bytes, { fallback: 'utf-8' }).label);
}

function readText(text: string): ReadXml {
  const start = text.trimStart();
  if (start === '') return malformed('empty', 'the body is empty');
  if (looksLikeHtml(start)) return { ok: false, failure: htmlPage(htmlTitle(start)) };
  // Refused before parsing, wherever it appears: no message of this protocol carries a DTD.
  const dtd = screenDtd(text);
  if (!dtd.ok) return { ok: false, failure: { kind: 'dtd-forbidden', detail: `<!${dtd.declaration} at offset ${dtd.offset}` } };
  if (!start.startsWith('<')) return malformed('not-xml', `the body starts with ${JSON.stringify(start.slice(0, 40))}`);
  const invalid = xmlWellFormedness(text);
  if (invalid) return malformed(classifyInvalid(text, invalid.message), `${invalid.message} (line ${invalid.line})`);
  return parseRoot(text);
}

const HTML_START = /^(?:<\?xml[^>]*>\s*)?(?:<!--[\s\S]*?-->\s*)*<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])/i;

function looksLikeHtml(start: string): boolean {
  return HTML_START.test(start.slice(0, 4096));
}

function htmlTitle(start: string): string | undefined {
  const match = /<title[^>]*>([\s\S]{0,500}?)<\/title>/i.exec(start.slice(0, 65_536));
  const title = match?.[1]?.replace(/\s+/g, ' ').trim();
  return title === '' ? undefined : title;
}

/**
 * A body that was cut ends inside a tag (its last '<' comes after its last '>') or leaves elements open (the
 * validator's "Unclosed tag 'x'" for one, "Invalid '[…]' found" for several); anything else is ill-formed.
 */
function classifyInvalid(text: string, message: string): AlsecoMalformedReason {
  const trimmed = text.trimEnd();
  if (trimmed.lastIndexOf('<') > trimmed.lastIndexOf('>')) return 'truncated';
  return /^Unclosed tag|^Invalid '\[/.test(message) ? 'truncated' : 'not-well-formed';
}

function parseRoot(text: string): ReadXml {
  let parsed: unknown;
  try {
    parsed = parser.parse(text);
  } catch (error) {
    return malformed('not-well-formed', error instanceof Error ? error.message : String(error));
  }
  if (!isXObject(parsed)) return malformed('not-xml', 'no root element');
  const roots = elementKeys(parsed);
  const rootName = roots[0];
  const root = rootName === undefined ? undefined : parsed[rootName];
  if (roots.length !== 1 || rootName === undefined || root === undefined || Array.isArray(root)) {
    return malformed('not-well-formed', `expected one root element, found ${roots.length}`);
  }
  return { ok: true, rootName, root };
}

export function isXObject(value: unknown): value is XObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isElementKey(key: string): boolean {
  return !key.startsWith('@_') && key !== '#text' && key !== '#cdata';
}

export function elementKeys(node: XValue): string[] {
  return typeof node === 'string' ? [] : Object.keys(node).filter(isElementKey);
}

export function localName(qname: string): string {
  const colon = qname.indexOf(':');
  return colon < 0 ? qname : qname.slice(colon + 1);
}

export function prefixOf(qname: string): string {
  const colon = qname.indexOf(':');
  return colon < 0 ? '' : qname.slice(0, colon);
}

function asArray(value: XValue | XValue[] | undefined): XValue[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * Children grouped by local name, whatever their prefix (the partner's tools write soap:, s:, als:, ast: or none).
 * Arrays from the parser are used as they are, so a list of 50,000 rows is not copied.
 */
export function childrenByLocalName(node: XValue): Map<string, XValue[]> {
  const children = new Map<string, XValue[]>();
  if (typeof node === 'string') return children;
  for (const key of elementKeys(node)) {
    const name = localName(key);
    const values = asArray(node[key]);
    const known = children.get(name);
    children.set(name, known === undefined ? values : known.concat(values));
  }
  return children;
}

export function attribute(node: XValue, qname: string): string | undefined {
  if (typeof node === 'string') return undefined;
  const value = node[`@_${qname}`];
  return typeof value === 'string' ? value : undefined;
}

/** xsi:nil="true" under any prefix (xsi:, i:, …). */
export function isNil(node: XValue): boolean {
  if (typeof node === 'string') return false;
  for (const key of Object.keys(node)) {
    if (!key.startsWith('@_') || localName(key.slice(2)) !== 'nil') continue;
    const value = node[key];
    if (value === 'true' || value === '1') return true;
  }
  return false;
}

/** The namespace URI bound to `prefix` in the given scopes, innermost first. */
export function resolveNamespace(prefix: string, scopes: readonly XValue[]): string | undefined {
  const attributeName = prefix === '' ? 'xmlns' : `xmlns:${prefix}`;
  for (const scope of scopes) {
    const uri = attribute(scope, attributeName);
    if (uri !== undefined) return uri;
  }
  return undefined;
}

/** Decodes the predefined entities and character references; any other `&` is an error (no DTD can define one). */
export function decodeEntities(text: string): string {
  try {
    return decodeXmlReferences(text);
  } catch (error) {
    if (!(error instanceof XmlReferenceError)) throw error;
    throw new AlsecoDecodeError('not-well-formed', `bad entity or character reference near "${error.reference}"`);
  }
}

/** The text of a leaf element (entities decoded, CDATA kept verbatim); an element with children is refused. */
export function leafText(node: XValue, path: string): string {
  if (typeof node === 'string') return decodeEntities(node);
  let text = '';
  for (const key of Object.keys(node)) {
    const value = node[key];
    if (key === '#text') text += asArray(value).map((v) => (typeof v === 'string' ? decodeEntities(v) : '')).join('');
    else if (key === '#cdata') text += asArray(value).map((v) => (typeof v === 'string' ? v : '')).join('');
    else if (!key.startsWith('@_')) throw new AlsecoDecodeError('invalid-value', `${path}: expected text, found <${key}>`);
  }
  return text;
}

/** All text under an element, for fault details; bounded so a huge detail cannot blow up a log line. */
export function textContent(node: XValue, limit = 4096): string {
  if (typeof node === 'string') return decodeEntities(node).slice(0, limit);
  let text = '';
  for (const key of Object.keys(node)) {
    if (key.startsWith('@_')) continue;
    for (const value of asArray(node[key])) {
      text += key === '#cdata' && typeof value === 'string' ? value : textContent(value, limit - text.length);
      if (text.length >= limit) return text.slice(0, limit);
    }
  }
  return text;
}
