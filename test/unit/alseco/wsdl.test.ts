import { readFileSync } from 'node:fs';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { ALSECO_METHOD_NAMES, ALSECO_NAMESPACES } from '../../../src/providers/alseco/codec/index.ts';
import { renderAlsecoWsdl } from '../../../src/providers/alseco/codec/wsdl.ts';

const wsdl = readFileSync(new URL('../../../src/providers/alseco/alseco.wsdl', import.meta.url), 'utf8');

describe('alseco.wsdl', () => {
  it('is exactly what renderAlsecoWsdl() produces from the codec tables (regenerate it if this fails)', () => {
    expect(wsdl).toBe(renderAlsecoWsdl());
  });

  it('is well-formed XML without a DTD', () => {
    expect(XMLValidator.validate(wsdl)).toBe(true);
    expect(wsdl).not.toMatch(/<!DOCTYPE/i);
  });

  it('has both schemas, and SOAP 1.1 and 1.2 bindings of every method in both services', () => {
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (_name, _path, _leaf, isAttribute) => !isAttribute }).parse(wsdl);
    const definitions = doc['wsdl:definitions'][0];
    const schemas = definitions['wsdl:types'][0]['s:schema'];
    expect(schemas.map((s: { targetNamespace: string }) => s.targetNamespace)).toEqual(Object.values(ALSECO_NAMESPACES));
    const bindings = definitions['wsdl:binding'] as { name: string; 'wsdl:operation': { name: string }[] }[];
    expect(bindings.map((b) => b.name)).toEqual([
      'AlsecoPaymentsServiceSoap', 'AlsecoPaymentsServiceSoap12', 'AstanaErcPaymentServiceSoap', 'AstanaErcPaymentServiceSoap12',
    ]);
    for (const b of bindings) expect(b['wsdl:operation'].map((o) => o.name)).toEqual(ALSECO_METHOD_NAMES);
    for (const method of ALSECO_METHOD_NAMES) {
      for (const ns of Object.values(ALSECO_NAMESPACES)) {
        expect(wsdl).toContain(`<soap:operation soapAction="${ns}${method}" style="document" />`);
        expect(wsdl).toContain(`<soap12:operation soapAction="${ns}${method}" style="document" />`);
      }
    }
  });

  it('types money as decimal, SysRef of a payment as anyType, and the nillable day', () => {
    expect(wsdl).toContain('<s:element minOccurs="1" maxOccurs="1" name="PaySum" type="s:decimal" />');
    expect(wsdl).toContain('<s:element minOccurs="0" maxOccurs="1" name="SysRef" type="s:anyType" />');
    expect(wsdl).toContain('<s:element minOccurs="1" maxOccurs="1" nillable="true" name="day" type="s:int" />');
  });
});
