/**
 * Alseco SOAP codec: bytes ⇄ typed Alseco messages, in both directions.
 * Client side (Tolem as the "bank"): encodeAlsecoRequest, decodeAlsecoResponse.
 * Server side (the Alseco simulator): decodeAlsecoRequest, encodeAlsecoResponse, encodeAlsecoFault.
 * No HTTP, no database, no business logic. Decoders never throw: every input becomes a typed outcome.
 * Encoders throw AlsecoEncodeError only for values that cannot be represented (a bug on our side).
 */
import {
  readFault, readSoapBody, writeEnvelope, writeFault,
  type AlsecoFault, type AlsecoFaultInput, type AlsecoSoapVersion, type SoapBodyElement,
} from './envelope.ts';
import {
  ALSECO_METHODS, ALSECO_NAMESPACES, isAlsecoMethod, isAlsecoNamespace,
  type AlsecoMethod, type AlsecoMethodSpec, type AlsecoNamespace, type AlsecoParams, type AlsecoRequest,
  type AlsecoResult,
} from './messages.ts';
import { decodeField, decodeNode, encodeField, encodeFields } from './walk.ts';
import { AlsecoDecodeError, childrenByLocalName, type AlsecoReadFailure } from './xml-read.ts';
import type { XmlWriter } from './xml-write.ts';

export * from './messages.ts';
export { ALSECO_DEFAULT_MAX_BYTES, type AlsecoMalformedReason, type AlsecoReadFailure } from './xml-read.ts';
export { AlsecoEncodeError } from './xml-write.ts';
export {
  SOAP11_NAMESPACE, SOAP12_NAMESPACE, type AlsecoFault, type AlsecoFaultInput, type AlsecoFaultSide,
  type AlsecoSoapVersion,
} from './envelope.ts';
export {
  ALSECO_MONEY_SCALE, formatAlsecoMoney, parseAlsecoMoney, parseAlsecoDateTime, parseAlsecoDotDate,
  type AlsecoDateTimeParts,
} from './values.ts';
export type { AlsecoLeafKind } from './schema.ts';
export { alsecoInvoicePeriod, stripInvoiceCheckDigit, type InvoiceNumberError, type StrippedInvoiceNumber } from './invoice-number.ts';

export interface AlsecoEncodeOptions {
  /** Defaults to the namespace the spec shows for the method. */
  readonly namespace?: AlsecoNamespace;
  /** Defaults to SOAP 1.1. */
  readonly soapVersion?: AlsecoSoapVersion;
}

export interface AlsecoDecodeOptions {
  /** Larger inputs are refused before parsing; default ALSECO_DEFAULT_MAX_BYTES (32 MiB). */
  readonly maxBytes?: number;
}

export interface AlsecoHttpRequest {
  readonly body: string;
  /** The action URI, unquoted: namespace + method (the .NET ASMX default). */
  readonly soapAction: string;
  /** SOAP 1.1: Content-Type text/xml and a quoted SOAPAction header; SOAP 1.2: the action inside Content-Type. */
  readonly headers: Readonly<Record<string, string>>;
}

export type AlsecoResponseOutcome<M extends AlsecoMethod> =
  | { kind: 'ok'; method: M; namespace: string | undefined; soapVersion: AlsecoSoapVersion; result: AlsecoResult<M> }
  | ({ kind: 'fault'; soapVersion: AlsecoSoapVersion } & AlsecoFault)
  | AlsecoReadFailure;

export type AlsecoRequestOutcome =
  | ({ kind: 'ok'; namespace: AlsecoNamespace; soapVersion: AlsecoSoapVersion; soapAction: string } & AlsecoRequest)
  | AlsecoReadFailure;

function specOf(method: AlsecoMethod): AlsecoMethodSpec {
  return ALSECO_METHODS[method];
}

export function alsecoNamespaceOf(method: AlsecoMethod): AlsecoNamespace {
  return ALSECO_NAMESPACES[specOf(method).service];
}

/** "http://www.alseco.kz/AlsecoPaymentsService/Pay": the namespace already ends with a slash. */
export function alsecoSoapAction(method: AlsecoMethod, namespace: string = alsecoNamespaceOf(method)): string {
  return `${namespace}${method}`;
}

/** The Content-Type of a message in the given SOAP version (responses and faults carry no action). */
export function alsecoContentType(soapVersion: AlsecoSoapVersion, action?: string): string {
  if (soapVersion === '1.1') return 'text/xml; charset=utf-8';
  return `application/soap+xml; charset=utf-8${action === undefined ? '' : `; action="${action}"`}`;
}

// ── client side ────────────────────────────────────────────────────────────────────────────────────────────────

export function encodeAlsecoRequest<M extends AlsecoMethod>(
  method: M,
  params: AlsecoParams<M>,
  options: AlsecoEncodeOptions = {},
): AlsecoHttpRequest {
  const namespace = options.namespace ?? alsecoNamespaceOf(method);
  const soapVersion = options.soapVersion ?? '1.1';
  const body = writeEnvelope(soapVersion, (w) => {
    w.open(method, [['xmlns', namespace]]);
    encodeFields(w, specOf(method).request, params);
    w.close(method);
  });
  const soapAction = alsecoSoapAction(method, namespace);
  const headers: Record<string, string> =
    soapVersion === '1.1'
      ? { 'Content-Type': alsecoContentType('1.1'), SOAPAction: `"${soapAction}"` }
      : { 'Content-Type': alsecoContentType('1.2', soapAction) };
  return { body, soapAction, headers };
}

export function decodeAlsecoResponse<M extends AlsecoMethod>(
  method: M,
  xml: string | Uint8Array,
  options: AlsecoDecodeOptions = {},
): AlsecoResponseOutcome<M> {
  return guard(() => {
    const read = readSoapBody(xml, options.maxBytes);
    if (!read.ok) return read.failure;
    const { element } = read;
    if (element.localName === 'Fault') return { kind: 'fault', soapVersion: element.soapVersion, ...readFault(element.node) };
    return { kind: 'ok', method, namespace: element.namespace, soapVersion: element.soapVersion, result: readResult(method, element) };
  });
}

function readResult<M extends AlsecoMethod>(method: M, element: SoapBodyElement): AlsecoResult<M> {
  const spec = specOf(method);
  const responseNames = [`${method}Response`, ...(spec.responseAliases ?? [])];
  if (!responseNames.includes(element.localName)) {
    throw new AlsecoDecodeError('unexpected-element', `expected <${method}Response>, found <${element.localName}>`);
  }
  const children = childrenByLocalName(element.node);
  const resultNames = [`${method}Result`, ...(spec.resultAliases ?? [])];
  const values = resultNames.flatMap((name) => children.get(name) ?? []);
  // The schema describes exactly AlsecoResult<M>; this is the one place where the walker's `unknown` is narrowed.
  return decodeField(spec.result, values, `${element.localName}/${method}Result`) as AlsecoResult<M>;
}

// ── server side (simulator) ────────────────────────────────────────────────────────────────────────────────────

export function decodeAlsecoRequest(xml: string | Uint8Array, options: AlsecoDecodeOptions = {}): AlsecoRequestOutcome {
  return guard(() => {
    const read = readSoapBody(xml, options.maxBytes);
    if (!read.ok) return read.failure;
    const { localName: method, namespace, soapVersion, node } = read.element;
    if (!isAlsecoMethod(method)) throw new AlsecoDecodeError('unknown-method', `<${method}> is not an Alseco method`);
    if (namespace === undefined || !isAlsecoNamespace(namespace)) {
      throw new AlsecoDecodeError('unknown-namespace', `<${method}> is in namespace ${JSON.stringify(namespace ?? null)}`);
    }
    const params = decodeNode(specOf(method).request, node, method);
    const soapAction = alsecoSoapAction(method, namespace);
    // decodeNode returned exactly AlsecoParams<typeof method>; TypeScript cannot correlate the union by itself.
    return { kind: 'ok', namespace, soapVersion, soapAction, method, params } as AlsecoRequestOutcome;
  });
}

export function encodeAlsecoResponse<M extends AlsecoMethod>(
  method: M,
  result: AlsecoResult<M>,
  options: AlsecoEncodeOptions = {},
): string {
  const namespace = options.namespace ?? alsecoNamespaceOf(method);
  return writeEnvelope(options.soapVersion ?? '1.1', (w: XmlWriter) => {
    w.open(`${method}Response`, [['xmlns', namespace]]);
    encodeField(w, `${method}Result`, specOf(method).result, result);
    w.close(`${method}Response`);
  });
}

export function encodeAlsecoFault(fault: AlsecoFaultInput, options: Pick<AlsecoEncodeOptions, 'soapVersion'> = {}): string {
  return writeFault(fault, options.soapVersion ?? '1.1');
}

/** The boundary: an internal decode error becomes `malformed`; nothing a parser throws escapes. */
function guard<T>(decode: () => T | AlsecoReadFailure): T | AlsecoReadFailure {
  try {
    return decode();
  } catch (error) {
    if (error instanceof AlsecoDecodeError) return { kind: 'malformed', reason: error.reason, detail: error.detail };
    return { kind: 'malformed', reason: 'not-well-formed', detail: error instanceof Error ? error.message : String(error) };
  }
}
