/**
 * The partner documents' example sections, byte for byte, inside the repository.
 *
 * The five partner documents (agent API v20, Elsom biller XML, Alseco SOAP, Assist two-stage, Elsom merchant OTP) are
 * not part of the repository. The sections of them that hold the examples our fixtures come from are: each excerpt is
 * `test/fixtures/<partner>/spec/<from>-<to>.txt`, lines <from> to <to> of the document as the partner delivered it,
 * and `test/fixtures/spec-excerpts.json` names the document, its SHA-256 and each excerpt's SHA-256, so anyone holding
 * the original can re-derive them (`sed -n '<from>,<to>p' <document>`). The verbatim tests compare the fixtures with
 * these excerpts: they run in any clone and never skip.
 */
import { readFileSync } from 'node:fs';

export type SpecPartner = 'agent-api' | 'alseco' | 'assist' | 'elsom-biller' | 'elsom-merchant';

export interface SpecExcerptEntry {
  readonly file: string;
  readonly lines: readonly [number, number];
  readonly sha256: string;
}

export interface SpecDocumentEntry {
  readonly document: string;
  readonly deliveredAs: string;
  readonly bytes: number;
  readonly lines: number;
  readonly sha256: string;
  readonly excerpts: readonly SpecExcerptEntry[];
}

export const FIXTURES_DIR = new URL('../fixtures/', import.meta.url);

export const SPEC_MANIFEST = JSON.parse(
  readFileSync(new URL('spec-excerpts.json', FIXTURES_DIR), 'utf8'),
) as Record<SpecPartner, SpecDocumentEntry>;

export const specExcerptUrl = (partner: SpecPartner, file: string): URL => new URL(`${partner}/spec/${file}`, FIXTURES_DIR);

/** The excerpts of one partner's document, in document order, as bytes. */
export function specExcerpts(partner: SpecPartner): { entry: SpecExcerptEntry; bytes: Buffer }[] {
  return SPEC_MANIFEST[partner].excerpts.map((entry) => ({ entry, bytes: readFileSync(specExcerptUrl(partner, entry.file)) }));
}

/** Where `bytes` occurs, byte for byte, in one excerpt of the partner's document (its line range), or undefined. */
export function findInSpec(partner: SpecPartner, bytes: Buffer | string): SpecExcerptEntry | undefined {
  const needle = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  if (needle.length === 0) return undefined;
  return specExcerpts(partner).find(({ bytes: excerpt }) => excerpt.includes(needle))?.entry;
}

export const occursInSpec = (partner: SpecPartner, bytes: Buffer | string): boolean => findInSpec(partner, bytes) !== undefined;
