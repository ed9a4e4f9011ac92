/** Elsom biller codec — XML writing in Elsom's style (the shared styled writer of src/xml), in the message's charset. */
import { ELSOM_STYLE, type XmlNode, XmlWriter } from '../../../xml/index.ts';
import { type ElsomCharset } from './messages.ts';

/** Elsom's bytes: the shared writer's windows-1251 style (indented, `<name/>`, references for what 1251 lacks). */
export type XmlOut = XmlNode;

export function renderDocument(root: XmlOut, charset: ElsomCharset): Buffer {
  return new XmlWriter({ ...ELSOM_STYLE, charset }).declaration().element(root).toBytes();
}

export function leaf(name: string, text: string | number | undefined): XmlOut | undefined {
  return text === undefined ? undefined : { name, text: String(text) };
}

export function extraOut(name: string, value: string | undefined): XmlOut | undefined {
  return value === undefined ? undefined : { name: 'extra', attributes: [['name', name]], text: value };
}

export function present(nodes: readonly (XmlOut | undefined)[]): XmlOut[] {
  return nodes.filter((node): node is XmlOut => node !== undefined);
}
