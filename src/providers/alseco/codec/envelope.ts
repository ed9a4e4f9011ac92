/** SOAP 1.1 / 1.2 envelopes and faults, as .NET 2.0 ASMX services write and read them. */
import {
  childrenByLocalName, elementKeys, localName, prefixOf, readXml, resolveNamespace,
  textContent, type AlsecoReadFailure, type XValue,
} from './xml-read.ts';
import { XmlWriter } from './xml-write.ts';

export const SOAP11_NAMESPACE = 'http://schemas.xmlsoap.org/soap/envelope/';
export const SOAP12_NAMESPACE = 'http://www.w3.org/2003/05/soap-envelope';
export const XSI_NAMESPACE = 'http://www.w3.org/2001/XMLSchema-instance';
export const XSD_NAMESPACE = 'http://www.w3.org/2001/XMLSchema';

export type AlsecoSoapVersion = '1.1' | '1.2';

/** The single element inside soap:Body. */
export interface SoapBodyElement {
  readonly soapVersion: AlsecoSoapVersion;
  readonly localName: string;
  readonly namespace: string | undefined;
  readonly node: XValue;
}

export type ReadSoapBody = { ok: true; element: SoapBodyElement } | { ok: false; failure: AlsecoReadFailure };

function notSoap(reason: 'not-soap' | 'unexpected-element', detail: string): ReadSoapBody {
  return { ok: false, failure: { kind: 'malformed', reason, detail } };
}

export function readSoapBody(input: string | Uint8Array, maxBytes: number | undefined): ReadSoapBody {
  const xml = readXml(input, maxBytes);
  if (!xml.ok) return xml;
  if (localName(xml.rootName) !== 'Envelope') return notSoap('not-soap', `root element is <${xml.rootName}>`);
  const soapVersion = versionOf(resolveNamespace(prefixOf(xml.rootName), [xml.root]));
  if (soapVersion === undefined) return notSoap('not-soap', 'the Envelope is not in a SOAP 1.1 or 1.2 namespace');
  const bodies = childrenByLocalName(xml.root).get('Body') ?? [];
  const body = bodies[0];
  if (bodies.length !== 1 || body === undefined) return notSoap('not-soap', `expected one Body, found ${bodies.length}`);
  return bodyElement(body, xml.root, soapVersion);
}

/** An Envelope without any namespace is read as SOAP 1.1 (tolerance); a foreign namespace is refused. */
function versionOf(namespace: string | undefined): AlsecoSoapVersion | undefined {
  if (namespace === SOAP12_NAMESPACE) return '1.2';
  return namespace === SOAP11_NAMESPACE || namespace === undefined ? '1.1' : undefined;
}

function bodyElement(body: XValue, envelope: XValue, soapVersion: AlsecoSoapVersion): ReadSoapBody {
  const keys = elementKeys(body);
  const qname = keys[0];
  const node = qname === undefined || typeof body === 'string' ? undefined : body[qname];
  if (keys.length !== 1 || qname === undefined || node === undefined || Array.isArray(node)) {
    return notSoap('unexpected-element', `expected one element in Body, found ${keys.length === 1 ? 'several' : keys.length}`);
  }
  const namespace = resolveNamespace(prefixOf(qname), [node, body, envelope]);
  return { ok: true, element: { soapVersion, localName: localName(qname), namespace, node } };
}

// ── faults ─────────────────────────────────────────────────────────────────────────────────────────────────────

/** Client: the request was refused as such (SOAP 1.1 Client, 1.2 Sender); server: anything may have happened. */
export type AlsecoFaultSide = 'client' | 'server' | 'unknown';

export interface AlsecoFault {
  /** As written: "soap:Server", "soap12:Receiver", … */
  readonly code: string;
  readonly side: AlsecoFaultSide;
  readonly subcode?: string;
  readonly message: string;
  readonly actor?: string;
  readonly detail?: string;
}

function firstChild(node: XValue, name: string): XValue | undefined {
  return childrenByLocalName(node).get(name)?.[0];
}

function childText(node: XValue, name: string): string | undefined {
  const child = firstChild(node, name);
  return child === undefined ? undefined : textContent(child).trim();
}

function sideOf(code: string): AlsecoFaultSide {
  const name = localName(code);
  if (name === 'Client' || name === 'Sender' || name.startsWith('Client.')) return 'client';
  if (name === 'Server' || name === 'Receiver' || name.startsWith('Server.')) return 'server';
  return 'unknown';
}

/** Reads a fault by its shape (1.2 has Code/Reason), whatever the envelope version claims. */
export function readFault(node: XValue): AlsecoFault {
  const code12 = firstChild(node, 'Code');
  return code12 === undefined ? readFault11(node) : readFault12(node, code12);
}

function withOptional(fault: AlsecoFault, extra: { subcode?: string | undefined; actor?: string | undefined; detail?: string | undefined }): AlsecoFault {
  const out: { -readonly [K in keyof AlsecoFault]: AlsecoFault[K] } = { ...fault };
  if (extra.subcode) out.subcode = extra.subcode;
  if (extra.actor) out.actor = extra.actor;
  if (extra.detail) out.detail = extra.detail;
  return out;
}

function readFault11(node: XValue): AlsecoFault {
  const code = childText(node, 'faultcode') ?? '';
  const message = childText(node, 'faultstring') ?? '';
  return withOptional(
    { code, side: sideOf(code), message },
    { actor: childText(node, 'faultactor'), detail: childText(node, 'detail') },
  );
}

function readFault12(node: XValue, codeNode: XValue): AlsecoFault {
  const code = childText(codeNode, 'Value') ?? '';
  const subcodeNode = firstChild(codeNode, 'Subcode');
  const reason = firstChild(node, 'Reason');
  const message = reason === undefined ? '' : (childText(reason, 'Text') ?? '');
  return withOptional(
    { code, side: sideOf(code), message },
    {
      subcode: subcodeNode === undefined ? undefined : childText(subcodeNode, 'Value'),
      actor: childText(node, 'Role'),
      detail: childText(node, 'Detail'),
    },
  );
}

// ── writing ────────────────────────────────────────────────────────────────────────────────────────────────────

const ENVELOPE_PREFIX: Record<AlsecoSoapVersion, string> = { '1.1': 'soap', '1.2': 'soap12' };
const ENVELOPE_NAMESPACE: Record<AlsecoSoapVersion, string> = { '1.1': SOAP11_NAMESPACE, '1.2': SOAP12_NAMESPACE };

/** Writes `<?xml?>`, Envelope and Body around `body` (as .NET does: xsi and xsd declared on the Envelope). */
export function writeEnvelope(soapVersion: AlsecoSoapVersion, body: (w: XmlWriter) => void): string {
  const prefix = ENVELOPE_PREFIX[soapVersion];
  const w = new XmlWriter().raw('<?xml version="1.0" encoding="utf-8"?>');
  w.open(`${prefix}:Envelope`, [
    [`xmlns:${prefix}`, ENVELOPE_NAMESPACE[soapVersion]],
    ['xmlns:xsi', XSI_NAMESPACE],
    ['xmlns:xsd', XSD_NAMESPACE],
  ]);
  w.open(`${prefix}:Body`);
  body(w);
  w.close(`${prefix}:Body`).close(`${prefix}:Envelope`);
  return w.toString();
}

export interface AlsecoFaultInput {
  /** client → soap:Client / soap12:Sender; server → soap:Server / soap12:Receiver. */
  readonly side: 'client' | 'server';
  readonly message: string;
  readonly detail?: string;
}

export function writeFault(fault: AlsecoFaultInput, soapVersion: AlsecoSoapVersion): string {
  return writeEnvelope(soapVersion, (w) => (soapVersion === '1.1' ? writeFault11(w, fault) : writeFault12(w, fault)));
}

function writeFault11(w: XmlWriter, fault: AlsecoFaultInput): void {
  w.open('soap:Fault');
  w.leaf('faultcode', fault.side === 'client' ? 'soap:Client' : 'soap:Server');
  w.leaf('faultstring', fault.message);
  w.leaf('detail', fault.detail ?? '');
  w.close('soap:Fault');
}

function writeFault12(w: XmlWriter, fault: AlsecoFaultInput): void {
  w.open('soap12:Fault').open('soap12:Code');
  w.leaf('soap12:Value', fault.side === 'client' ? 'soap12:Sender' : 'soap12:Receiver');
  w.close('soap12:Code').open('soap12:Reason');
  w.leaf('soap12:Text', fault.message, [['xml:lang', 'en']]);
  w.close('soap12:Reason');
  w.leaf('soap12:Detail', fault.detail ?? '');
  w.close('soap12:Fault');
}

