import { XMLParser, XMLValidator } from 'fast-xml-parser';

/**
 * Safe XML reading for Assist answers.
 *
 * Assist's XML answers carry an internal DTD (`<!DOCTYPE result [ <!ELEMENT …> ]>`, spec "В формате XML"), so refusing
 * every DOCTYPE (our default elsewhere) would refuse every real answer. Instead a DOCTYPE is removed *unread* before
 * parsing, and refused outright when it declares an ENTITY (the only dangerous part: entity expansion / XXE).
 * Entities are never processed by the parser; only the five predefined ones and numeric references are decoded.
 */

export type XmlDocument = { ok: true; root: Record<string, unknown> } | { ok: false; reason: string };

/** Upper bound on an answer we are willing to parse; a real charge answer is about 3 KB. */
export const MAX_XML_ANSWER_CHARS = 256 * 1024;

const parser = new XMLParser({
  processEntities: false,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

// The spec's first DOCTYPE ends with "]]>" (a typo for "]>"); the lazy match up to "]" + ">" covers both.
const DOCTYPE = /<!DOCTYPE\s+[\w:.-]+(?:\s*\[[\s\S]*?\])?\s*>/i;

/** Removes a harmless DOCTYPE; answers `undefined` when one declares entities or cannot be delimited. */
export function stripDoctype(text: string): string | undefined {
  if (!/<!DOCTYPE/i.test(text)) return text;
  const match = DOCTYPE.exec(text);
  if (!match || /<!ENTITY/i.test(match[0])) return undefined;
  const rest = text.slice(0, match.index) + text.slice(match.index + match[0].length);
  return /<!DOCTYPE/i.test(rest) ? undefined : rest;
}

/** The spec's error example writes `firstcode="7"secondcode="102"`: put the missing space back, in start tags only. */
function spaceOutAttributes(text: string): string {
  return text.replace(/<[A-Za-z][^<>]*>/g, (tag) => tag.replace(/(?<!=\s*)(["'])(?=[A-Za-z_][\w:.-]*\s*=)/g, '$1 '));
}

export function parseXmlDocument(body: string): XmlDocument {
  if (body.length > MAX_XML_ANSWER_CHARS) return { ok: false, reason: 'body too large' };
  const stripped = stripDoctype(body.trim());
  if (stripped === undefined) return { ok: false, reason: 'DOCTYPE with entities refused' };
  const text = spaceOutAttributes(stripped.trim());
  if (!text.startsWith('<')) return { ok: false, reason: 'not XML' };
  const valid = XMLValidator.validate(text);
  if (valid !== true) return { ok: false, reason: `malformed XML: ${valid.err.msg}` };
  const root: unknown = parser.parse(text);
  return isObject(root) ? { ok: true, root } : { ok: false, reason: 'empty XML' };
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes the predefined entities and numeric character references; anything else is left as it is. */
export function decodeXmlText(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|amp|lt|gt|quot|apos);/gi, (whole, ref: string) => {
    if (ref[0] !== '#') return PREDEFINED[ref.toLowerCase()] ?? whole;
    const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
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
  return text.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`);
}
