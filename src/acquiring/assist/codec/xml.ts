import { fail, succeed, type Failure, type Result } from '../../../domain/result.ts';
import {
  createXmlParser, decodeXmlReferences, escapeXmlText, PLAIN_UTF8_STYLE, screenDtd, xmlWellFormedness,
} from '../../../xml/index.ts';

/**
 * Safe XML reading for Assist answers, with the shared policy (src/xml/read.ts).
 *
 * Assist's XML answers carry an internal DTD (`<!DOCTYPE result [ <!ELEMENT …> ]>`, spec "В формате XML"), so refusing
 * every DOCTYPE (our default elsewhere) would refuse every real answer. Assist is the policy's one named exception
 * (`drop-entity-free`): that DOCTYPE is removed *unread* before parsing, and refused outright when anything declares
 * an ENTITY (the only dangerous part: entity expansion / XXE). Entities are never processed by the parser; only the
 * five predefined ones and character references are decoded, anything else is left as the text it is.
 */

export type XmlDocument = Result<Record<string, unknown>, Failure<'not_xml'>>;

/** Upper bound on an answer we are willing to parse; a real charge answer is about 3 KB. */
export const MAX_XML_ANSWER_CHARS = 256 * 1024;

const parser = createXmlParser({ shape: 'grouped-local', maxDepth: 100 });

/** Removes a harmless DOCTYPE; answers `undefined` when one declares entities or cannot be delimited. */
export function stripDoctype(text: string): string | undefined {
  const screened = screenDtd(text, 'drop-entity-free');
  return screened.ok ? screened.text : undefined;
}

/** The spec's error example writes `firstcode="7"secondcode="102"`: put the missing space back, in start tags only. */
function spaceOutAttributes(text: string): string {
  return text.replace(/<[A-Za-z][^<>]*>/g, (tag) => tag.replace(/(?<!=\s*)(["'])(?=[A-Za-z_][\w:.-]*\s*=)/g, '$1 '));
}

export function decodeXmlDocument(body: string): XmlDocument {
  if (body.length > MAX_XML_ANSWER_CHARS) return fail('not_xml', 'body too large');
  const stripped = stripDoctype(body.trim());
  if (stripped === undefined) return fail('not_xml', 'DOCTYPE with entities refused');
  const text = spaceOutAttributes(stripped.trim());
  if (!text.startsWith('<')) return fail('not_xml', 'not XML');
  const invalid = xmlWellFormedness(text);
  if (invalid) return fail('not_xml', `malformed XML: ${invalid.message}`);
  const root: unknown = parser.parse(text);
  return isObject(root) ? succeed(root) : fail('not_xml', 'empty XML');
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Decodes the predefined entities and character references; anything else is left as it is (never expanded). */
export function decodeXmlText(text: string): string {
  return decodeXmlReferences(text, 'lenient');
}

/** Text of a leaf element: "text", or { "#text": "text", "@_attr": … } when it has attributes, or "" when empty. */
export function leafText(node: unknown): string | undefined {
  if (typeof node === 'string') return decodeXmlText(node).trim();
  if (!isObject(node)) return undefined;
  const text = node['#text'];
  if (text === undefined) return Object.keys(node).every((k) => k.startsWith('@_')) ? '' : undefined;
  return typeof text === 'string' ? decodeXmlText(text).trim() : undefined;
}

/** Escapes text for an element body or a quoted attribute. */
export function escapeXml(text: string): string {
  return escapeXmlText(text, PLAIN_UTF8_STYLE);
}
