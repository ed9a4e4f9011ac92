/**
 * Alseco's XML is written in the shared writer's .NET style (src/xml/write.ts): byte-stable, one line, `<name />`,
 * CR escaped. Values it cannot carry throw AlsecoEncodeError (a programming or data bug, not a decline).
 */
import { DOTNET_STYLE, escapeXmlAttribute, XmlWriter as SharedXmlWriter, type XmlStyle } from '../../../xml/index.ts';

export class AlsecoEncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlsecoEncodeError';
  }
}

export const ALSECO_XML_STYLE: XmlStyle = { ...DOTNET_STYLE, encodeError: (message) => new AlsecoEncodeError(message) };

export function escapeAttribute(value: string, where = 'attribute'): string {
  return escapeXmlAttribute(value, ALSECO_XML_STYLE, where);
}

export class XmlWriter extends SharedXmlWriter {
  constructor() {
    super(ALSECO_XML_STYLE);
  }
}
