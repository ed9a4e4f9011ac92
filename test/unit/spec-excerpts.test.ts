/**
 * The partner documents' example sections kept in test/fixtures/<partner>/spec/ are what test/fixtures/spec-excerpts.json
 * says they are (line ranges of the delivered document, with their SHA-256), and every example fixture of the five
 * partners is a verbatim piece of them. Nothing here reads outside the repository.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIXTURES_DIR, SPEC_MANIFEST, findInSpec, specExcerpts, type SpecPartner } from '../helpers/spec-excerpts.ts';

const PARTNERS = Object.keys(SPEC_MANIFEST) as SpecPartner[];
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const fixtureNames = (partner: SpecPartner) =>
  readdirSync(new URL(`${partner}/`, FIXTURES_DIR), { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name !== 'README.md')
    .map((entry) => entry.name)
    .sort();
const fixture = (partner: SpecPartner, name: string) => readFileSync(new URL(`${partner}/${name}`, FIXTURES_DIR));

/**
 * Fixtures the partner's document prints as two code blocks: the file is both blocks joined, the fence lines between
 * them removed (see the partner's test/fixtures README). The number is how many lines the first block has.
 */
const JOINED: Partial<Record<SpecPartner, Record<string, number>>> = {
  assist: { 'charge-answer-xml-approved.xml': 44 },
  'elsom-merchant': { 'ia-init-input-php-array.txt': 4 },
};

function splitAfterLines(bytes: Buffer, lines: number): [Buffer, Buffer] {
  let offset = 0;
  for (let line = 0; line < lines; line += 1) offset = bytes.indexOf(0x0a, offset) + 1;
  return [bytes.subarray(0, offset), bytes.subarray(offset)];
}

describe('spec excerpts: the manifest and the files agree', () => {
  it('covers the five partners', () => {
    expect(PARTNERS.sort()).toEqual(['agent-api', 'alseco', 'assist', 'elsom-biller', 'elsom-merchant']);
  });

  for (const partner of PARTNERS) {
    it(`${partner}: each excerpt has its recorded SHA-256, its line count, and lies inside the document, in order`, () => {
      const document = SPEC_MANIFEST[partner];
      let previousEnd = 0;
      for (const { entry, bytes } of specExcerpts(partner)) {
        const [from, to] = entry.lines;
        expect(entry.file).toBe(`${String(from).padStart(4, '0')}-${String(to).padStart(4, '0')}.txt`);
        expect(from).toBeGreaterThan(previousEnd);
        expect(to).toBeGreaterThanOrEqual(from);
        expect(to).toBeLessThanOrEqual(document.lines);
        expect(sha256(bytes), entry.file).toBe(entry.sha256);
        expect(bytes.at(-1), `${entry.file} ends with a whole line`).toBe(0x0a);
        expect(bytes.toString('utf8').split('\n').length - 1, entry.file).toBe(to - from + 1);
        previousEnd = to;
      }
    });

    it(`${partner}: the spec/ folder holds exactly the listed excerpts`, () => {
      const listed = SPEC_MANIFEST[partner].excerpts.map((entry) => entry.file).sort();
      expect(readdirSync(new URL(`${partner}/spec/`, FIXTURES_DIR)).sort()).toEqual(listed);
    });

    it(`${partner}: every example fixture is a verbatim piece of the document`, () => {
      const joined = JOINED[partner] ?? {};
      const names = fixtureNames(partner);
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) {
        const bytes = fixture(partner, name);
        const firstBlockLines = joined[name];
        if (firstBlockLines === undefined) {
          expect(findInSpec(partner, bytes), name).toBeDefined();
          continue;
        }
        const [first, second] = splitAfterLines(bytes, firstBlockLines);
        const firstAt = findInSpec(partner, first);
        expect(firstAt, `${name}, first block`).toBeDefined();
        expect(findInSpec(partner, second), `${name}, second block`).toEqual(firstAt);
      }
    });
  }
});
