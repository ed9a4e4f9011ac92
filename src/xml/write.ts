/**
 * The one XML writer. A style says how the partner's own software writes XML, so our bytes match theirs:
 * - `DOTNET_STYLE` (Alseco, ASP.NET web services): one line, empty elements as `<name />`, only `& < >` and CR escaped
 *   in text (CR as `&#xD;`, so it survives the reader's line-end normalisation), `& < > "` CR LF TAB in attributes; a
 *   character XML cannot carry is an error (a bug on our side, never sent).
 * - `ELSOM_STYLE` (windows-1251): two-space indentation, a line per element, `<name/>`, the five markup characters
 *   escaped, characters windows-1251 cannot carry (Kyrgyz ң ө ү) as numeric references so nothing becomes "?", and a
 *   character XML forbids as a space (a payment answer must still go out).
 */
import { charsetRepertoire, encodeXmlText } from './charset.ts';
import { isXmlChar } from './chars.ts';

/** A value that cannot be put on the wire; a style may name its own error type. */
export class XmlEncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlEncodeError';
  }
}

export interface XmlStyle {
  /** '' writes everything on one line; otherwise one element per line, indented by this per level. */
  readonly indent: string;
  readonly selfClose: ' />' | '/>';
  /** A leaf with empty text: `<name />` (as .NET writes it) or `<name></name>`. */
  readonly emptyLeaf: 'self-close' | 'pair';
  readonly textEscapes: Readonly<Record<string, string>>;
  readonly attributeEscapes: Readonly<Record<string, string>>;
  readonly charset: 'utf-8' | 'windows-1251';
  /** A character outside XML's Char production: refused, or written as a space. */
  readonly invalidChar: 'refuse' | 'space';
  readonly encodeError?: (message: string) => Error;
}

const MARKUP_FIVE = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' } as const;

export const DOTNET_STYLE: XmlStyle = {
  indent: '',
  selfClose: ' />',
  emptyLeaf: 'self-close',
  textEscapes: { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#xD;' },
  attributeEscapes: { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\r': '&#xD;', '\n': '&#xA;', '\t': '&#x9;' },
  charset: 'utf-8',
  invalidChar: 'refuse',
};

export const ELSOM_STYLE: XmlStyle = {
  indent: '  ',
  selfClose: '/>',
  emptyLeaf: 'pair',
  textEscapes: MARKUP_FIVE,
  attributeEscapes: MARKUP_FIVE,
  charset: 'windows-1251',
  invalidChar: 'space',
};

/** Text written by hand into a template (the Assist simulator's answers): the five markup characters, UTF-8. */
export const PLAIN_UTF8_STYLE: XmlStyle = { ...ELSOM_STYLE, indent: '', charset: 'utf-8' };

const repertoires = new Map<string, ReadonlySet<string>>();

function repertoire(charset: XmlStyle['charset']): ReadonlySet<string> | undefined {
  if (charset === 'utf-8') return undefined;
  let known = repertoires.get(charset);
  if (known === undefined) repertoires.set(charset, (known = charsetRepertoire(charset)));
  return known;
}

const attention = new WeakMap<object, RegExp>();

/** Characters that need a look: the escaped ones, XML-forbidden ones and, outside UTF-8, anything not ASCII. */
function attentionPattern(escapes: Readonly<Record<string, string>>, charset: XmlStyle['charset']): RegExp {
  let pattern = attention.get(escapes)?.source;
  if (pattern === undefined) {
    const listed = Object.keys(escapes).map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
    pattern = `[${listed}\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\uD800-\\uDFFF\\uFFFE\\uFFFF]`;
    attention.set(escapes, new RegExp(pattern));
  }
  return charset === 'utf-8' ? attention.get(escapes)! : new RegExp(`${pattern}|[^\\u0000-\\u007F]`);
}

function escapeWith(value: string, escapes: Readonly<Record<string, string>>, style: XmlStyle, where: string): string {
  if (!attentionPattern(escapes, style.charset).test(value)) return value;
  const carried = repertoire(style.charset);
  let out = '';
  for (const char of value) {
    const codePoint = char.codePointAt(0) ?? 0;
    if (!isXmlChar(codePoint)) out += invalidChar(codePoint, style, where);
    else if (Object.hasOwn(escapes, char)) out += escapes[char];
    else if (carried !== undefined && !carried.has(char)) out += `&#${codePoint};`;
    else out += char;
  }
  return out;
}

function invalidChar(codePoint: number, style: XmlStyle, where: string): string {
  if (style.invalidChar === 'space') return ' ';
  const message = `${where}: character U+${codePoint.toString(16)} cannot be sent in XML`;
  throw (style.encodeError ?? ((m: string) => new XmlEncodeError(m)))(message);
}

export function escapeXmlText(value: string, style: XmlStyle = PLAIN_UTF8_STYLE, where = 'text'): string {
  return escapeWith(value, style.textEscapes, style, where);
}

export function escapeXmlAttribute(value: string, style: XmlStyle = PLAIN_UTF8_STYLE, where = 'attribute'): string {
  return escapeWith(value, style.attributeEscapes, style, where);
}

export type XmlAttributes = readonly (readonly [name: string, value: string])[];

/** An element to write as a tree: children, else text, else an empty element. */
export interface XmlNode {
  readonly name: string;
  readonly attributes?: XmlAttributes;
  readonly text?: string;
  readonly children?: readonly XmlNode[];
}

export class XmlWriter {
  private readonly parts: string[] = [];
  private depth = 0;

  constructor(readonly style: XmlStyle = DOTNET_STYLE) {}

  /** `<?xml version="1.0" encoding="…"?>` in the style's charset. */
  declaration(): this {
    return this.line(`<?xml version="1.0" encoding="${this.style.charset}"?>`);
  }

  raw(text: string): this {
    this.parts.push(text);
    return this;
  }

  open(name: string, attributes: XmlAttributes = []): this {
    this.line(`<${name}${this.attributesText(attributes)}>`);
    this.depth += 1;
    return this;
  }

  close(name: string): this {
    this.depth -= 1;
    return this.line(`</${name}>`);
  }

  /** `<name>text</name>`; empty text as the style writes an empty leaf. */
  leaf(name: string, text: string, attributes: XmlAttributes = []): this {
    if (text === '' && this.style.emptyLeaf === 'self-close') return this.empty(name, attributes);
    const escaped = escapeXmlText(text, this.style, name);
    return this.line(`<${name}${this.attributesText(attributes)}>${escaped}</${name}>`);
  }

  empty(name: string, attributes: XmlAttributes = []): this {
    return this.line(`<${name}${this.attributesText(attributes)}${this.style.selfClose}`);
  }

  element(node: XmlNode): this {
    const attributes = node.attributes ?? [];
    if (node.children !== undefined && node.children.length > 0) {
      this.open(node.name, attributes);
      for (const child of node.children) this.element(child);
      return this.close(node.name);
    }
    return node.text === undefined ? this.empty(node.name, attributes) : this.leaf(node.name, node.text, attributes);
  }

  toString(): string {
    return this.parts.join('');
  }

  /** The document in the style's charset. */
  toBytes(): Buffer {
    return encodeXmlText(this.toString(), this.style.charset);
  }

  private attributesText(attributes: XmlAttributes): string {
    return attributes.map(([name, value]) => ` ${name}="${escapeXmlAttribute(value, this.style, name)}"`).join('');
  }

  private line(text: string): this {
    this.parts.push(this.style.indent === '' ? text : `${this.style.indent.repeat(this.depth)}${text}\n`);
    return this;
  }
}
