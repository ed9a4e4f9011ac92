/**
 * Agents' registries under generated input (fast-check, a fixed seed): files grown from valid lines by mutations —
 * fields replaced by odd text, quotes and line breaks, columns dropped or doubled, bytes cut, chunk boundaries
 * anywhere. Whatever arrives, the answer is either the file stored whole (the count of its payment lines, their sum)
 * or a refusal naming a line (`line N: …`, N within the file) that stored nothing: never another error, never a
 * partial registry.
 */
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShiftedClock } from '../../src/domain/clock.ts';
import { storeAgentRegistry } from '../../src/engine/agent-registries.ts';
import { createAgent } from '../../src/engine/agents.ts';
import { ServiceError } from '../../src/engine/errors.ts';
import type { Db } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { openTestDb } from '../helpers/harness.ts';

const clock = new ShiftedClock(new Date('2026-11-22T10:00:00+05:00'));
let db: Db;
let agentId: bigint;

beforeAll(async () => {
  db = await openTestDb();
  await migrate(db);
  agentId = (await createAgent(db, { name: 'Fuzzed bank', currency: 'KZT' })).agent.id;
});
afterAll(async () => db.close());

const ODD = ['', ' ', '"', '""', '"a,b"', '"x\ny"', '\r', '0', '-1', '1e3', '12,5', '１２', '999999999999999999999', 'ÿ', '\u0000', 'succeeded', 'failed', 'checked', 'KGS'];
const line: fc.Arbitrary<Line> = fc.record({
  txn: fc.oneof(fc.bigInt({ min: 1n, max: 999_999_999_999_999_999n }).map(String), fc.constantFrom(...ODD)),
  amount: fc.oneof(fc.integer({ min: 1, max: 10_000_000 }).map((minor) => (minor / 100).toFixed(2)), fc.constantFrom(...ODD)),
  state: fc.oneof(fc.constantFrom('', 'succeeded', 'paid', 'failed', 'cancelled', 'checked'), fc.constantFrom(...ODD)),
  extra: fc.option(fc.constantFrom(...ODD), { nil: undefined }),
});
const file: fc.Arbitrary<File> = fc.record({
  header: fc.constantFrom('agentTransactionId,amount,state', 'amount,state,agentTransactionId', '\ufeffagentTransactionId,amount,state', 'agentTransactionId,state', 'agentTransactionId,amount,amount'),
  lines: fc.array(line, { maxLength: 12 }),
  newline: fc.constantFrom('\n', '\r\n'),
  cut: fc.option(fc.nat(400), { nil: undefined }),
  chunk: fc.integer({ min: 1, max: 64 }),
});

interface Line { txn: string; amount: string; state: string; extra: string | undefined }
interface File { header: string; lines: Line[]; newline: string; cut: number | undefined; chunk: number }

function render(input: File): Buffer {
  const names = input.header.replace('\ufeff', '').split(',');
  const rows = input.lines.map((l) => names.map((name) => (name === 'agentTransactionId' ? l.txn : name === 'amount' ? l.amount : l.state))
    .concat(l.extra === undefined ? [] : [l.extra]).join(','));
  const text = [input.header, ...rows].join(input.newline) + input.newline;
  const bytes = Buffer.from(text);
  return input.cut === undefined ? bytes : bytes.subarray(0, input.cut);
}

const chunks = (bytes: Buffer, size: number) => Readable.from(Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size)));
const count = async () => Number((await db.query<{ n: bigint }>('SELECT count(*)::int8 AS n FROM agent_registry_lines')).rows[0]!.n);

describe('agent registries under generated files', () => {
  it('store a file whole or refuse it at a line of it, nothing else', { timeout: 120_000 }, async () => {
    await fc.assert(fc.asyncProperty(file, async (input) => {
      const bytes = render(input);
      const before = await count();
      try {
        const stored = await storeAgentRegistry(db, { agentId, day: '2026-11-21', source: 'admin_api', uploadedBy: 'fuzz', body: chunks(bytes, input.chunk) }, clock);
        const rows = await db.query<{ n: bigint; total: bigint | null }>(
          'SELECT count(*)::int8 AS n, sum(amount_minor)::int8 AS total FROM agent_registry_lines WHERE registry_id = $1', [stored.id]);
        expect(Number(rows.rows[0]!.n)).toBe(stored.lineCount);
        expect(BigInt(rows.rows[0]!.total ?? 0n)).toBe(stored.totalMinor);
      } catch (error) {
        expect(error).toBeInstanceOf(ServiceError);
        const refusal = error as ServiceError;
        expect(refusal.code).toBe('bad_registry');
        const at = /^line (\d+): \S/.exec(refusal.message);
        expect(at, refusal.message).not.toBeNull();
        expect(Number(at![1])).toBeLessThanOrEqual(bytes.toString('latin1').split('\n').length + 1);
        expect(await count()).toBe(before);
      }
    }), { seed: 1302, numRuns: 300 });
  });
});
