/**
 * Which charset an XML body is written in, and its text. One order for every partner: a byte order mark, then the
 * XML declaration, then the HTTP Content-Type charset, then the partner's default. The declaration beats the header
 * (unlike RFC 7303) because it is written with the bytes by the same code, while a header charset is often an
 * HTTP-stack default.
 */
import iconv from 'iconv-lite';

export type XmlCharsetSource = 'bom' | 'declaration' | 'content-type' | 'default';

export interface XmlCharsetChoice {
  /** The label as found, trimmed (`utf-8`, `windows-1251`, `utf-16le` for a BOM, or whatever a sender wrote). */
  readonly label: string;
  readonly source: XmlCharsetSource;
}

const DECLARATION_ENCODING = /^\s*<\?xml\s[^>]*?\bencoding\s*=\s*["']([^"']*)["']/;
const CONTENT_TYPE_CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)"?/i;

/** The encoding label of the XML declaration, read as latin1 (every label is ASCII); BOM-less bytes only. */
export function declaredXmlEncoding(bytes: Uint8Array): string | undefined {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 256)).toString('latin1');
  return DECLARATION_ENCODING.exec(head)?.[1];
}

/** The `charset=` parameter of a Content-Type header. */
export function contentTypeCharset(contentType: string | undefined): string | undefined {
  return contentType === undefined ? undefined : CONTENT_TYPE_CHARSET.exec(contentType)?.[1];
}

function byteOrderMark(bytes: Uint8Array): string | undefined {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  return undefined;
}

export function detectXmlCharset(bytes: Uint8Array, options: { contentType?: string; fallback: string }): XmlCharsetChoice {
  const bom = byteOrderMark(bytes);
  if (bom !== undefined) return { label: bom, source: 'bom' };
  const declared = declaredXmlEncoding(bytes);
  if (declared !== undefined) return { label: declared.trim(), source: 'declaration' };
  const fromHeader = contentTypeCharset(options.contentType);
  if (fromHeader !== undefined) return { label: fromHeader.trim(), source: 'content-type' };
  return { label: options.fallback, source: 'default' };
}

/**
 * Bytes → text in the given charset, strictly: undefined when the bytes are not valid there (bad UTF-8, a byte a
 * single-byte charset leaves undefined such as 0x98 in windows-1251, an unknown label). A leading BOM is dropped.
 */
export function decodeXmlBytes(bytes: Uint8Array, label: string): string | undefined {
  const lower = label.toLowerCase();
  const name = lower === 'utf8' ? 'utf-8' : lower;
  try {
    if (name === 'utf-8') return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    if (!iconv.encodingExists(name)) return undefined;
    const text = iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), name);
    // iconv-lite turns an undefined byte into U+FFFD; a single-byte charset cannot carry U+FFFD itself.
    return !name.startsWith('utf') && text.includes('\uFFFD') ? undefined : text;
  } catch {
    return undefined;
  }
}

/** Every character a single-byte charset can carry, for writers that must reference the others. */
export function charsetRepertoire(label: string): ReadonlySet<string> {
  const all = iconv.decode(Buffer.from(Array.from({ length: 256 }, (_, byte) => byte)), label);
  return new Set([...all].filter((char) => char !== '\uFFFD'));
}

export function encodeXmlText(text: string, label: string): Buffer {
  return label === 'utf-8' ? Buffer.from(text, 'utf8') : iconv.encode(text, label);
}
