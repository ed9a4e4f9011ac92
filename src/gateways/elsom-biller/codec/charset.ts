/** Elsom biller codec — Which charset a body is in (BOM, XML declaration, Content-Type, default windows-1251) and its text. */
import { decodeXmlBytes, detectXmlCharset } from '../../../xml/index.ts';
import { type ElsomCharset, type ElsomCharsetSource } from './messages.ts';
import { ElsomRefusal, refuse } from './refusals.ts';

const CHARSET_ALIASES: ReadonlyMap<string, ElsomCharset> = new Map([
  ['windows-1251', 'windows-1251'],
  ['cp1251', 'windows-1251'],
  ['x-cp1251', 'windows-1251'],
  ['win-1251', 'windows-1251'],
  ['utf-8', 'utf-8'],
  ['utf8', 'utf-8'],
]);

function normalizeCharset(label: string): ElsomCharset {
  return CHARSET_ALIASES.get(label.trim().toLowerCase()) ?? refuse('unsupported_charset', label);
}

/**
 * Which charset decodes the body, in the shared order (src/xml/charset.ts): a UTF-8 BOM, else the XML declaration,
 * else the Content-Type charset, else windows-1251. The spec itself only shows `Content-Type: text/xml`.
 */
function resolveCharset(bytes: Buffer, contentType?: string): { charset: ElsomCharset; source: ElsomCharsetSource } {
  const choice = detectXmlCharset(bytes, { contentType, fallback: 'windows-1251' });
  if (choice.source === 'bom' && choice.label !== 'utf-8') refuse('unsupported_charset', 'UTF-16 byte order mark');
  return { charset: normalizeCharset(choice.label), source: choice.source };
}

/** The same choice, for logs and tests; undefined when the label that wins names a charset we do not read. */
export function resolveElsomCharset(
  bytes: Buffer,
  contentType?: string,
): { charset: ElsomCharset; source: ElsomCharsetSource } | undefined {
  try {
    return resolveCharset(bytes, contentType);
  } catch (error) {
    if (error instanceof ElsomRefusal) return undefined;
    throw error;
  }
}

function decodeText(bytes: Buffer, charset: ElsomCharset): string {
  // 0x98 is the one byte windows-1251 leaves undefined; the shared decoder refuses it.
  const text = decodeXmlBytes(bytes, charset);
  if (text !== undefined) return text;
  return refuse('undecodable_bytes', charset === 'utf-8' ? 'invalid UTF-8' : 'byte 0x98 in windows-1251');
}

export function decodeBody(bytes: Buffer, contentType: string | undefined, maxBytes: number) {
  if (bytes.length > maxBytes) refuse('body_too_large', `${bytes.length} bytes > ${maxBytes}`);
  const { charset } = resolveCharset(bytes, contentType);
  return { charset, text: decodeText(bytes, charset) };
}
