/**
 * Safe XML reading, one policy for every partner:
 * - **No DTD.** A `<!DOCTYPE` or `<!ENTITY` anywhere in the text is refused before any parser sees it (XXE, billion
 *   laughs, external DTDs, parameter entities). The one exception is named and narrow: a partner whose real answers
 *   carry an entity-free internal subset (Assist) may ask for that one DOCTYPE to be removed unread
 *   (`dtd: 'drop-entity-free'`); an `<!ENTITY` is refused even then.
 * - **No entity expansion.** fast-xml-parser runs with `processEntities: false`; `decodeXmlReferences` decodes the five
 *   predefined entities and character references only. Any other reference is refused (or, for a lenient reader,
 *   left as the text it is) — never expanded.
 * - **Bounded.** Depth is capped; callers cap size before decoding.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { isXmlChar } from './chars.ts';

export type DtdPolicy = 'refuse' | 'drop-entity-free';

export type DtdScreen =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly declaration: 'DOCTYPE' | 'ENTITY'; readonly offset: number };

const DTD_DECLARATION = /<!(DOCTYPE|ENTITY)/i;
// Assist's first spec DOCTYPE ends with "]]>" (a typo for "]>"); the lazy match up to "]" + ">" covers both.
const DELIMITED_DOCTYPE = /<!DOCTYPE\s+[\w:.-]+(?:\s*\[[\s\S]*?\])?\s*>/i;

function refused(text: string, match: RegExpExecArray): DtdScreen {
  return { ok: false, declaration: match[1]!.toUpperCase() as 'DOCTYPE' | 'ENTITY', offset: match.index };
}

/** Applies the DTD policy: the text without a harmless DOCTYPE, or where the refused declaration starts. */
export function screenDtd(text: string, policy: DtdPolicy = 'refuse'): DtdScreen {
  const found = DTD_DECLARATION.exec(text);
  if (found === null) return { ok: true, text };
  if (policy === 'refuse') return refused(text, found);
  const entity = /<!(ENTITY)/i.exec(text);
  if (entity !== null) return refused(text, entity);
  const doctype = DELIMITED_DOCTYPE.exec(text);
  if (doctype === null) return refused(text, found);
  const rest = text.slice(0, doctype.index) + text.slice(doctype.index + doctype[0].length);
  const second = DTD_DECLARATION.exec(rest);
  return second === null ? { ok: true, text: rest } : refused(rest, second);
}

export type XmlReferenceProblem = 'bare-ampersand' | 'bad-character-reference' | 'unknown-entity';

/** A reference the policy does not decode; `reference` is what was found (`&`, `&#0;`, `&xxe;`). */
export class XmlReferenceError extends Error {
  constructor(
    readonly problem: XmlReferenceProblem,
    readonly reference: string,
  ) {
    super(`${problem}: ${reference}`);
    this.name = 'XmlReferenceError';
  }
}

const REFERENCE = /&(?:#x([0-9a-fA-F]{1,6});|#([0-9]{1,7});|([A-Za-z_][\w.-]*);)?/g;
const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * Decodes the five predefined entities and character references. `strict` (the default) throws XmlReferenceError for a
 * bare `&`, a reference to a non-Char, or any other entity; `lenient` leaves those as the text they are.
 */
export function decodeXmlReferences(text: string, mode: 'strict' | 'lenient' = 'strict'): string {
  if (!text.includes('&')) return text;
  return text.replace(REFERENCE, (whole, hex?: string, decimal?: string, name?: string) => {
    const problem = referenceProblem(hex, decimal, name);
    if (problem === undefined) return decodeReference(hex, decimal, name);
    if (mode === 'lenient') return whole;
    throw new XmlReferenceError(problem, whole);
  });
}

function codePointOf(hex: string | undefined, decimal: string | undefined): number {
  return hex !== undefined ? Number.parseInt(hex, 16) : Number.parseInt(decimal ?? '', 10);
}

function referenceProblem(hex?: string, decimal?: string, name?: string): XmlReferenceProblem | undefined {
  if (name !== undefined) return Object.hasOwn(PREDEFINED, name) ? undefined : 'unknown-entity';
  if (hex === undefined && decimal === undefined) return 'bare-ampersand';
  return isXmlChar(codePointOf(hex, decimal)) ? undefined : 'bad-character-reference';
}

function decodeReference(hex?: string, decimal?: string, name?: string): string {
  return name !== undefined ? PREDEFINED[name]! : String.fromCodePoint(codePointOf(hex, decimal));
}

/**
 * The validator's verdict: undefined when well-formed, else its message and line. A character outside XML's `Char`
 * production (U+0000, U+0001, U+FFFE, a lone surrogate) makes a document not well-formed (XML 1.0 §2.2), which the
 * validator does not check: such a character would reach the codecs' values, and a NUL in a value reaches the database,
 * which refuses it with an error instead of an answer (found by the Elsom gateway's fuzz campaign).
 */
export function xmlWellFormedness(text: string): { message: string; line: number } | undefined {
  const bad = firstNonXmlChar(text);
  if (bad !== undefined) {
    return { message: `character U+${bad.codePoint.toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML`, line: text.slice(0, bad.index).split('\n').length };
  }
  const valid = XMLValidator.validate(text);
  return valid === true ? undefined : { message: valid.err.msg, line: valid.err.line };
}

function firstNonXmlChar(text: string): { index: number; codePoint: number } | undefined {
  for (let i = 0; i < text.length; i++) {
    const codePoint = text.codePointAt(i)!;
    if (!isXmlChar(codePoint)) return { index: i, codePoint };
    if (codePoint > 0xffff) i++;
  }
  return undefined;
}

/**
 * The tree shapes the codecs read. Every shape shares the safety options (no entities, no value typing, declarations
 * and processing instructions dropped, a depth cap); they differ only in how the tree is laid out for the codec.
 * - `ordered`: document order kept (fast-xml-parser's preserveOrder), attributes under `:@` without a prefix, trimmed.
 * - `grouped`: children grouped by qualified name, attributes as `@_name`, text as `#text`, CDATA as `#cdata`,
 *   whitespace kept (SOAP values are exact).
 * - `grouped-local`: as `grouped` but namespace prefixes removed and text trimmed.
 */
export type XmlTreeShape = 'ordered' | 'grouped' | 'grouped-local';

export interface XmlParserOptions {
  readonly shape: XmlTreeShape;
  /** Deepest nesting accepted; the partner's messages are a few levels deep, anything far deeper is an attack. */
  readonly maxDepth: number;
}

const SAFE_OPTIONS = {
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  ignoreAttributes: false,
} as const;

const SHAPES = {
  ordered: { preserveOrder: true, attributeNamePrefix: '', trimValues: true },
  grouped: { attributeNamePrefix: '@_', textNodeName: '#text', cdataPropName: '#cdata', trimValues: false },
  'grouped-local': { attributeNamePrefix: '@_', removeNSPrefix: true, trimValues: true },
} as const satisfies Record<XmlTreeShape, object>;

/** A parser with the policy's options; parse only text that passed `screenDtd` and `xmlWellFormedness`. */
export function createXmlParser(options: XmlParserOptions): XMLParser {
  return new XMLParser({ ...SAFE_OPTIONS, ...SHAPES[options.shape], maxNestedTags: options.maxDepth });
}
