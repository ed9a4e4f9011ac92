import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { DOTNET_STYLE, ELSOM_STYLE, escapeXmlText, PLAIN_UTF8_STYLE, XmlEncodeError, XmlWriter } from '../../../src/xml/index.ts';

describe('the .NET style (Alseco)', () => {
  it('writes one line, attributes in the order given, empty elements as <name />', () => {
    const xml = new XmlWriter(DOTNET_STYLE).declaration()
      .open('soap:Envelope', [['xmlns:soap', 'urn:s'], ['xmlns:xsi', 'urn:i']])
      .leaf('A', 'x').leaf('B', '').empty('C', [['xsi:nil', 'true']]).close('soap:Envelope').toString();
    expect(xml).toBe('<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="urn:s" xmlns:xsi="urn:i"><A>x</A><B /><C xsi:nil="true" /></soap:Envelope>');
  });

  it('escapes as XmlWriter does: & < > and CR in text; quotes, CR, LF and TAB in attributes', () => {
    const xml = new XmlWriter(DOTNET_STYLE).leaf('t', `a&b<c>d"e'f\r\ng`, [['v', `"\r\n\t'<`]]).toString();
    expect(xml).toBe(`<t v="&quot;&#xD;&#xA;&#x9;'&lt;">a&amp;b&lt;c&gt;d"e'f&#xD;\ng</t>`);
  });

  it('refuses a character XML cannot carry, with the style\'s own error', () => {
    expect(() => new XmlWriter(DOTNET_STYLE).leaf('SysRef', 'a\u0001b')).toThrow(XmlEncodeError);
    class PartnerError extends Error {}
    const style = { ...DOTNET_STYLE, encodeError: (message: string) => new PartnerError(message) };
    expect(() => new XmlWriter(style).leaf('SysRef', 'a\uFFFEb')).toThrow(/SysRef: character U\+fffe/);
    expect(() => new XmlWriter(style).leaf('SysRef', 'a\uD800b')).toThrow(PartnerError);
  });

  it('passes astral characters and long plain text through as they are', () => {
    const long = 'Иванов И.И. '.repeat(10_000);
    expect(new XmlWriter(DOTNET_STYLE).leaf('n', `\u{1F600}${long}`).toString()).toBe(`<n>\u{1F600}${long}</n>`);
  });
});

describe('the windows-1251 style (Elsom)', () => {
  it('indents two spaces, a line per element, <name/> for an element without text, a final newline', () => {
    const writer = new XmlWriter(ELSOM_STYLE).declaration().element({
      name: 'response',
      children: [{ name: 'result-code', text: '0' }, { name: 'rows', children: [] }, { name: 'extra', attributes: [['name', 'fio']], text: '' }],
    });
    expect(writer.toString()).toBe(
      '<?xml version="1.0" encoding="windows-1251"?>\n<response>\n  <result-code>0</result-code>\n  <rows/>\n  <extra name="fio"></extra>\n</response>\n',
    );
  });

  it('encodes Cyrillic one byte per letter and references what windows-1251 lacks (ң ө ү ә), never "?"', () => {
    const bytes = new XmlWriter(ELSOM_STYLE).leaf('n', 'Үмөт ңә Жан').toBytes();
    expect(bytes.includes(0x3f)).toBe(false);
    expect(iconv.decode(bytes, 'windows-1251')).toBe('<n>&#1198;м&#1257;т &#1187;&#1241; Жан</n>\n');
  });

  it('escapes all five markup characters and writes an XML-forbidden character as a space', () => {
    expect(new XmlWriter(ELSOM_STYLE).leaf('n', `<&>"'\u0001x`).toString()).toBe('<n>&lt;&amp;&gt;&quot;&apos; x</n>\n');
  });

  it('UTF-8 variant: the same layout, no references needed', () => {
    const bytes = new XmlWriter({ ...ELSOM_STYLE, charset: 'utf-8' }).leaf('n', 'ңә').toBytes();
    expect(bytes.toString('utf8')).toBe('<n>ңә</n>\n');
  });
});

describe('escapeXmlText', () => {
  it('plain UTF-8: the five markup characters', () => {
    expect(escapeXmlText(`a&<>"'b`, PLAIN_UTF8_STYLE)).toBe('a&amp;&lt;&gt;&quot;&apos;b');
    expect(escapeXmlText('nothing to do')).toBe('nothing to do');
  });
});
