import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { decodeXmlBytes, detectXmlCharset } from '../../../src/xml/index.ts';

const body = (declaration: string) => Buffer.from(`${declaration}<r>x</r>`, 'latin1');

describe('detectXmlCharset', () => {
  it('a byte order mark wins over the declaration and the header', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body('<?xml version="1.0" encoding="windows-1251"?>')]);
    expect(detectXmlCharset(bytes, { contentType: 'text/xml; charset=koi8-r', fallback: 'windows-1251' })).toEqual({ label: 'utf-8', source: 'bom' });
    expect(detectXmlCharset(Buffer.from([0xff, 0xfe, 0x3c, 0x00]), { fallback: 'utf-8' })).toEqual({ label: 'utf-16le', source: 'bom' });
    expect(detectXmlCharset(Buffer.from([0xfe, 0xff, 0x00, 0x3c]), { fallback: 'utf-8' })).toEqual({ label: 'utf-16be', source: 'bom' });
  });

  it('then the declaration (single or double quotes, as written), beating the header', () => {
    const choice = detectXmlCharset(body(`<?xml version='1.0' encoding='Windows-1251' ?>`), { contentType: 'text/xml; charset=utf-8', fallback: 'utf-8' });
    expect(choice).toEqual({ label: 'Windows-1251', source: 'declaration' });
  });

  it('then the Content-Type charset, quoted or not', () => {
    expect(detectXmlCharset(body('<?xml version="1.0"?>'), { contentType: 'text/xml; charset="UTF-8"', fallback: 'windows-1251' }))
      .toEqual({ label: 'UTF-8', source: 'content-type' });
  });

  it('then the partner default', () => {
    expect(detectXmlCharset(body(''), { contentType: 'text/xml', fallback: 'windows-1251' })).toEqual({ label: 'windows-1251', source: 'default' });
  });
});

describe('decodeXmlBytes', () => {
  it('reads windows-1251 Cyrillic byte for byte', () => {
    expect(decodeXmlBytes(iconv.encode('Оплата', 'windows-1251'), 'windows-1251')).toBe('Оплата');
    expect(decodeXmlBytes(iconv.encode('Оплата', 'windows-1251'), 'CP1251')).toBe('Оплата');
  });

  it('refuses the byte windows-1251 leaves undefined (0x98)', () => {
    expect(decodeXmlBytes(Buffer.from([0x3c, 0x98, 0x3e]), 'windows-1251')).toBeUndefined();
  });

  it('is strict about UTF-8 (any case of the label) and refuses unknown labels', () => {
    const cut = Buffer.from('Оплата', 'utf8').subarray(0, 3);
    expect(decodeXmlBytes(cut, 'utf-8')).toBeUndefined();
    expect(decodeXmlBytes(cut, 'UTF-8')).toBeUndefined();
    expect(decodeXmlBytes(cut, 'utf8')).toBeUndefined();
    expect(decodeXmlBytes(Buffer.from('x'), 'x-no-such-charset')).toBeUndefined();
  });

  it('drops a UTF-8 byte order mark', () => {
    expect(decodeXmlBytes(Buffer.from([0xef, 0xbb, 0xbf, 0x3c, 0x72, 0x2f, 0x3e]), 'utf-8')).toBe('<r/>');
  });
});
