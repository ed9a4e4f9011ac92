/**
 * A small escaping XML writer. Output is byte-stable: no indentation, attributes in the order given, empty
 * elements as `<name />` (as .NET writes them), CR escaped so it survives the reader's line-end normalisation.
 */

/** Thrown by the encoders for values that cannot be put on the wire (a programming or data bug, not a decline). */
export class AlsecoEncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlsecoEncodeError';
  }
}

// Characters XML 1.0 cannot carry at all, even escaped.
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const TEXT_SPECIAL = /[&<>\r]/g;
const ATTRIBUTE_SPECIAL = /[&<>"\r\n\t]/g;
const ESCAPES: Record<string, string> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\r': '&#xD;', '\n': '&#xA;', '\t': '&#x9;',
};

function checkChars(value: string, where: string): void {
  const bad = FORBIDDEN.exec(value);
  if (bad) throw new AlsecoEncodeError(`${where}: character U+${bad[0].charCodeAt(0).toString(16)} cannot be sent in XML`);
}

export function escapeText(value: string, where = 'text'): string {
  checkChars(value, where);
  return value.replace(TEXT_SPECIAL, (c) => ESCAPES[c] ?? c);
}

export function escapeAttribute(value: string, where = 'attribute'): string {
  checkChars(value, where);
  return value.replace(ATTRIBUTE_SPECIAL, (c) => ESCAPES[c] ?? c);
}

export type XmlAttributes = readonly (readonly [name: string, value: string])[];

function attributesText(attributes: XmlAttributes): string {
  return attributes.map(([name, value]) => ` ${name}="${escapeAttribute(value, name)}"`).join('');
}

export class XmlWriter {
  private readonly parts: string[] = [];

  raw(text: string): this {
    this.parts.push(text);
    return this;
  }

  open(name: string, attributes: XmlAttributes = []): this {
    this.parts.push(`<${name}${attributesText(attributes)}>`);
    return this;
  }

  close(name: string): this {
    this.parts.push(`</${name}>`);
    return this;
  }

  /** `<name>text</name>`, or `<name />` for empty text. */
  leaf(name: string, text: string, attributes: XmlAttributes = []): this {
    const attrs = attributesText(attributes);
    this.parts.push(text === '' ? `<${name}${attrs} />` : `<${name}${attrs}>${escapeText(text, name)}</${name}>`);
    return this;
  }

  empty(name: string, attributes: XmlAttributes = []): this {
    this.parts.push(`<${name}${attributesText(attributes)} />`);
    return this;
  }

  toString(): string {
    return this.parts.join('');
  }
}
