/**
 * WSDL 1.1 of Alseco's two services, rendered from the same message table the codec uses (so the simulator can
 * serve `?wsdl` and the checked-in alseco.wsdl cannot drift from the codec). Types follow .NET conventions:
 * value types minOccurs=1, strings and arrays minOccurs=0, `int?` nillable, arrays as wrapper + repeated item.
 */
import { assertNever } from '../../../domain/assert.ts';
import { ALSECO_METHOD_NAMES, ALSECO_METHODS, ALSECO_NAMESPACES, type AlsecoMethod, type AlsecoServiceName } from './messages.ts';
import type { AlsecoLeafKind, Field, LeafNode, ObjectNode, SchemaNode } from './schema.ts';
import { escapeAttribute } from './xml-write.ts';

const XSD_TYPE: Record<AlsecoLeafKind, string> = {
  string: 's:string', int: 's:int', money: 's:decimal', decimal: 's:decimal', boolean: 's:boolean',
  dateTime: 's:dateTime', dotDate: 's:string', base64: 's:base64Binary',
};

const SERVICES: readonly AlsecoServiceName[] = ['AlsecoPaymentsService', 'AstanaErcPaymentService'];
const PREFIX: Record<AlsecoServiceName, string> = { AlsecoPaymentsService: 'als', AstanaErcPaymentService: 'ast' };
/** Message names live in one WSDL namespace: the second service's carry its name. */
const MESSAGE_PREFIX: Record<AlsecoServiceName, string> = { AlsecoPaymentsService: '', AstanaErcPaymentService: 'AstanaErc_' };

/** Names the object types in order of first use: a list item by its item element, an object field by its element. */
class TypeNames {
  private readonly names = new Map<ObjectNode, string>();
  private readonly used = new Set<string>();
  readonly order: ObjectNode[] = [];

  nameOf(node: ObjectNode, wanted: string): string {
    const known = this.names.get(node);
    if (known !== undefined) return known;
    let name = wanted.charAt(0).toUpperCase() + wanted.slice(1);
    for (let i = 2; this.used.has(name); i += 1) name = `${wanted}${i}`;
    this.names.set(node, name);
    this.used.add(name);
    this.order.push(node);
    for (const [fieldName, field] of Object.entries(node.fields)) this.visit(field.schema, fieldName);
    return name;
  }

  visit(schema: SchemaNode, elementName: string): void {
    if (schema.node === 'object') this.nameOf(schema, elementName);
    if (schema.node === 'list') this.visit(schema.item, schema.itemName);
  }

  get(node: ObjectNode): string {
    const name = this.names.get(node);
    if (name === undefined) throw new Error('unnamed type');
    return name;
  }
}

function occurs(presence: Field['presence'], schema: SchemaNode): string {
  if (schema.node === 'list') return 'minOccurs="0" maxOccurs="1"';
  if (presence === 'nillable') return 'minOccurs="1" maxOccurs="1" nillable="true"';
  const optional = presence === 'optional' || (schema.node === 'leaf' && (schema.kind === 'string' || schema.kind === 'base64'));
  return `minOccurs="${optional ? 0 : 1}" maxOccurs="1"`;
}

function leafType(schema: LeafNode): string {
  return schema.xsiType === undefined ? XSD_TYPE[schema.kind] : 's:anyType';
}

/** One `<s:element>` for a field or list item; lists and enums get inline anonymous types. */
function element(name: string, schema: SchemaNode, attrs: string, types: TypeNames, tns: string): string {
  switch (schema.node) {
    case 'leaf':
      return `<s:element ${attrs} name="${name}" type="${leafType(schema)}" />`;
    case 'enum':
      return `<s:element ${attrs} name="${name}"><s:simpleType><s:restriction base="s:string">${schema.values
        .map((v) => `<s:enumeration value="${escapeAttribute(v)}" />`).join('')}</s:restriction></s:simpleType></s:element>`;
    case 'object':
      return `<s:element ${attrs} name="${name}" type="${tns}:${types.get(schema)}" />`;
    case 'list':
      return `<s:element ${attrs} name="${name}"><s:complexType><s:sequence>${element(schema.itemName, schema.item,
        'minOccurs="0" maxOccurs="unbounded"', types, tns)}</s:sequence></s:complexType></s:element>`;
  }
  return assertNever(schema, 'schema node');
}

function sequence(fields: ObjectNode['fields'], types: TypeNames, tns: string): string {
  return Object.entries(fields)
    .map(([name, field]) => element(name, field.schema, occurs(field.presence, field.schema), types, tns))
    .join('');
}

function schemaFor(service: AlsecoServiceName): string {
  const tns = PREFIX[service];
  const types = new TypeNames();
  for (const method of ALSECO_METHOD_NAMES) {
    const spec = ALSECO_METHODS[method];
    for (const [name, field] of Object.entries(spec.request.fields)) types.visit(field.schema, name);
    types.visit(spec.result.schema, `${method}Result`);
  }
  const elements = ALSECO_METHOD_NAMES.map((method) => {
    const spec = ALSECO_METHODS[method];
    const result = element(`${method}Result`, spec.result.schema, occurs(spec.result.presence, spec.result.schema), types, tns);
    return `<s:element name="${method}"><s:complexType><s:sequence>${sequence(spec.request.fields, types, tns)}</s:sequence></s:complexType></s:element>` +
      `<s:element name="${method}Response"><s:complexType><s:sequence>${result}</s:sequence></s:complexType></s:element>`;
  });
  const complexTypes = types.order.map((node) =>
    `<s:complexType name="${types.get(node)}"><s:sequence>${sequence(node.fields, types, tns)}</s:sequence></s:complexType>`);
  return `<s:schema elementFormDefault="qualified" targetNamespace="${ALSECO_NAMESPACES[service]}">\n${[...elements, ...complexTypes].join('\n')}\n</s:schema>`;
}

function messages(service: AlsecoServiceName): string {
  const p = MESSAGE_PREFIX[service];
  return ALSECO_METHOD_NAMES.map((m) =>
    `<wsdl:message name="${p}${m}SoapIn"><wsdl:part name="parameters" element="${PREFIX[service]}:${m}" /></wsdl:message>\n` +
    `<wsdl:message name="${p}${m}SoapOut"><wsdl:part name="parameters" element="${PREFIX[service]}:${m}Response" /></wsdl:message>`).join('\n');
}

function portType(service: AlsecoServiceName): string {
  const p = MESSAGE_PREFIX[service];
  const operations = ALSECO_METHOD_NAMES.map((m) =>
    `<wsdl:operation name="${m}"><wsdl:input message="tns:${p}${m}SoapIn" /><wsdl:output message="tns:${p}${m}SoapOut" /></wsdl:operation>`);
  return `<wsdl:portType name="${service}Soap">\n${operations.join('\n')}\n</wsdl:portType>`;
}

function binding(service: AlsecoServiceName, soap: 'soap' | 'soap12'): string {
  const name = `${service}${soap === 'soap' ? 'Soap' : 'Soap12'}`;
  const operation = (m: AlsecoMethod): string =>
    `<wsdl:operation name="${m}"><${soap}:operation soapAction="${ALSECO_NAMESPACES[service]}${m}" style="document" />` +
    `<wsdl:input><${soap}:body use="literal" /></wsdl:input><wsdl:output><${soap}:body use="literal" /></wsdl:output></wsdl:operation>`;
  return `<wsdl:binding name="${name}" type="tns:${service}Soap"><${soap}:binding transport="http://schemas.xmlsoap.org/soap/http" />\n` +
    `${ALSECO_METHOD_NAMES.map(operation).join('\n')}\n</wsdl:binding>`;
}

/** The spec gives no endpoint address; `baseUrl` is configuration (the simulator passes its own). */
function service(name: AlsecoServiceName, baseUrl: string): string {
  const location = escapeAttribute(`${baseUrl}/${name}.asmx`);
  return `<wsdl:service name="${name}">` +
    `<wsdl:port name="${name}Soap" binding="tns:${name}Soap"><soap:address location="${location}" /></wsdl:port>` +
    `<wsdl:port name="${name}Soap12" binding="tns:${name}Soap12"><soap12:address location="${location}" /></wsdl:port></wsdl:service>`;
}

export function renderAlsecoWsdl(baseUrl = 'http://localhost'): string {
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<!-- Generated from src/providers/alseco/codec/messages.ts by renderAlsecoWsdl(); written from alseco-soap.txt. -->',
    '<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"' +
      ' xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/" xmlns:s="http://www.w3.org/2001/XMLSchema"' +
      ` xmlns:tns="${ALSECO_NAMESPACES.AlsecoPaymentsService}" xmlns:als="${ALSECO_NAMESPACES.AlsecoPaymentsService}"` +
      ` xmlns:ast="${ALSECO_NAMESPACES.AstanaErcPaymentService}" targetNamespace="${ALSECO_NAMESPACES.AlsecoPaymentsService}">`,
    `<wsdl:types>\n${SERVICES.map(schemaFor).join('\n')}\n</wsdl:types>`,
    ...SERVICES.map(messages),
    ...SERVICES.map(portType),
    ...SERVICES.flatMap((s) => [binding(s, 'soap'), binding(s, 'soap12')]),
    ...SERVICES.map((s) => service(s, baseUrl)),
    '</wsdl:definitions>',
    '',
  ].join('\n');
}
