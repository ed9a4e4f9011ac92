/** Elsom biller codec — Safe XML reading: the shared reader of src/xml (one DOCTYPE/entity policy) into a small element tree. */
import {
  createXmlParser, decodeXmlReferences, screenDtd, XmlReferenceError, xmlWellFormedness,
} from '../../../xml/index.ts';
import { refuse } from './refusals.ts';

export interface XmlElement {
  readonly name: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: readonly XmlElement[];
  /** Unescaped, trimmed text content. */
  readonly text: string;
}

const XML_PARSER = createXmlParser({ shape: 'ordered', maxDepth: 16 });

/** The shared policy's references only (five predefined entities, character references); any other is refused. */
function unescapeXml(raw: string): string {
  try {
    return decodeXmlReferences(raw);
  } catch (error) {
    if (!(error instanceof XmlReferenceError)) throw error;
    if (error.problem === 'unknown-entity') refuse('entity_forbidden', error.reference);
    return refuse('malformed_xml', error.problem === 'bare-ampersand' ? 'bare "&"' : `${error.reference} not a Char`);
  }
}

type FxpNode = Record<string, unknown>;

function readAttributes(node: FxpNode): Map<string, string> {
  const raw = node[':@'];
  const attributes = new Map<string, string>();
  if (typeof raw !== 'object' || raw === null) return attributes;
  for (const [name, value] of Object.entries(raw)) attributes.set(name, unescapeXml(String(value)));
  return attributes;
}

function toElement(name: string, node: FxpNode): XmlElement {
  const content = node[name];
  const children: XmlElement[] = [];
  let text = '';
  for (const child of Array.isArray(content) ? (content as FxpNode[]) : []) {
    if (Object.hasOwn(child, '#text')) text += unescapeXml(String(child['#text']));
    else children.push(...toElements([child]));
  }
  if (children.length > 0 && text.trim() !== '') refuse('malformed_xml', `mixed content in <${name}>`);
  return { name, attributes: readAttributes(node), children, text: text.trim() };
}

function toElements(nodes: readonly FxpNode[]): XmlElement[] {
  const elements: XmlElement[] = [];
  for (const node of nodes) {
    const name = Object.keys(node).find((key) => key !== ':@' && key !== '#text');
    if (name !== undefined) elements.push(toElement(name, node));
  }
  return elements;
}

/** Well-formedness first, then the tree. A DOCTYPE is refused before any parsing: the spec's bodies never need one. */
export function parseXmlDocument(text: string): XmlElement {
  if (!screenDtd(text).ok) refuse('doctype_forbidden', 'DOCTYPE or ENTITY declaration');
  const body = text.replace(/^\uFEFF/, '').trimStart();
  const invalid = xmlWellFormedness(body);
  if (invalid) refuse('malformed_xml', `${invalid.message} (line ${invalid.line})`);
  let nodes: unknown;
  try {
    nodes = XML_PARSER.parse(body);
  } catch (error) {
    refuse('malformed_xml', error instanceof Error ? error.message : 'parser failure');
  }
  const roots = toElements(Array.isArray(nodes) ? (nodes as FxpNode[]) : []);
  const [root] = roots;
  if (root === undefined || roots.length !== 1) refuse('malformed_xml', 'exactly one root element expected');
  return root;
}
