/**
 * Agents' registries on a real store: a valid file (BOM, quoted fields, the cabinet's own download as it is), every
 * refusal with its line and nothing stored, repeated agentTransactionIds kept, a later upload superseding the
 * earlier, the audit entry with the figures, and a file of 200,000 lines streamed in batches.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShiftedClock } from '../../src/domain/clock.ts';
import {
  AGENT_REGISTRY_LIMITS, getAgentRegistry, latestAgentRegistry, listAgentRegistries, storeAgentRegistry, type AgentRegistry,
} from '../../src/engine/agent-registries.ts';
import { createAgent } from '../../src/engine/agents.ts';
import { listAudit } from '../../src/engine/audit.ts';
import type { Actor } from '../../src/engine/sessions.ts';
import type { Db } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { openTestDb } from '../helpers/harness.ts';

const clock = new ShiftedClock(new Date('2026-11-22T10:00:00+05:00'));
const DAY = '2026-11-21';
const actor: Actor = { principal: { kind: 'operator', id: 1n, login: 'aigerim', role: 'operator' }, ip: '10.0.0.7' };
let db: Db;
let agentId: bigint;
let kgsAgentId: bigint;

beforeAll(async () => {
  db = await openTestDb();
  await migrate(db);
  agentId = (await createAgent(db, { name: 'Bank A', currency: 'KZT' })).agent.id;
  kgsAgentId = (await createAgent(db, { name: 'Bank K', currency: 'KGS' })).agent.id;
});
afterAll(async () => db.close());

function upload(body: string | Buffer | AsyncIterable<Buffer | string>, options: { agent?: bigint; day?: string; limits?: typeof AGENT_REGISTRY_LIMITS } = {}): Promise<AgentRegistry> {
  const iterable = typeof body === 'string' || Buffer.isBuffer(body) ? Readable.from([Buffer.from(body)]) : body;
  return storeAgentRegistry(db, { agentId: options.agent ?? agentId, day: options.day ?? DAY, source: 'admin_api', uploadedBy: 'aigerim', body: iterable, actor }, clock, options.limits);
}

async function lines(registryId: bigint) {
  const rows = await db.query<Record<string, unknown>>('SELECT * FROM agent_registry_lines WHERE registry_id = $1 ORDER BY line_no', [registryId]);
  return rows.rows;
}

async function registryCount(): Promise<bigint> {
  return (await db.query<{ n: bigint }>('SELECT count(*)::int8 AS n FROM agent_registries')).rows[0]!.n;
}

describe('agent registries', () => {
  it('stores a valid file: BOM, CRLF, quoted fields, unknown columns ignored, checks skipped', async () => {
    const text = '\ufeffagentTransactionId,amount,account,note,state\r\n'
      + '100000000000000001,1500.00,"7770017711",hello,succeeded\r\n'
      + '2,"12.5","acc, with comma","a ""quoted"" note",failed\r\n'
      + '3,,,,checked\r\n'
      + '4,0.01,,,\r\n';
    const stored = await upload(text);
    expect(stored).toMatchObject({ agentId, day: DAY, source: 'admin_api', uploadedBy: 'aigerim', lineCount: 3, totalMinor: 150_000n + 1_250n + 1n });
    expect(stored.sha256).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
    expect(Math.abs(stored.uploadedAt.getTime() - clock.now().getTime())).toBeLessThan(60_000);
    const rows = await lines(stored.id);
    expect(rows.map((row) => [row.line_no, row.agent_txn_id, row.account, row.amount_minor, row.paid])).toEqual([
      [1, 100000000000000001n, '7770017711', 150_000n, true],
      [2, 2n, 'acc, with comma', 1_250n, false],
      [4, 4n, null, 1n, true],
    ]);
    expect(await getAgentRegistry(db, stored.id)).toEqual(stored);
    const audit = await listAudit(db, { action: 'agent_registry.upload' });
    expect(audit.entries[0]).toMatchObject({ actorLogin: 'aigerim', ip: '10.0.0.7', targetId: stored.id.toString() });
    expect(audit.entries[0]!.after).toEqual({ agentId: agentId.toString(), day: DAY, source: 'admin_api', lineCount: 3, totalMinor: '151251', sha256: stored.sha256, supersedes: null });
  });

  it('takes the cabinet\'s own download back as it is', async () => {
    const text = 'transactionId,agentTransactionId,serviceId,account,amount,currency,state,resultCode,providerRef,createdAt,paidAt\r\n'
      + '7,900000000000000007,P1011,7770017711,200.00,KZT,succeeded,0,MOB-7,2026-11-21T10:00:00+05:00,2026-11-21T10:00:01+05:00\r\n'
      + '8,900000000000000008,P1011,7770017712,,KZT,check_failed,7,,2026-11-21T10:01:00+05:00,\r\n'
      + '9,900000000000000009,P1013,123,50.00,KZT,failed,1,,2026-11-21T10:02:00+05:00,\r\n';
    const stored = await upload(text);
    expect(stored).toMatchObject({ lineCount: 2, totalMinor: 25_000n });
    const rows = await lines(stored.id);
    expect(rows.map((row) => [row.transaction_id, row.agent_txn_id, row.service_id, row.amount_minor, row.paid, row.paid_at])).toEqual([
      [7n, 900000000000000007n, 'P1011', 20_000n, true, '2026-11-21T10:00:01+05:00'],
      [9n, 900000000000000009n, 'P1013', 5_000n, false, null],
    ]);
  });

  it('refuses a bad file with its line and why, and stores nothing', async () => {
    const before = await registryCount();
    const refusals: [string, string][] = [
      ['', 'line 1: the file is empty (a header line is required)'],
      ['agentTxn,amount\n1,1.00\n', 'line 1: the header has no agentTransactionId column (it reads "agentTxn,amount")'],
      ['agentTransactionId,amount,amount\n1,1.00,2.00\n', 'line 1: the header names "amount" twice'],
      ['agentTransactionId,amount\n1,1.00\n2,2.00\n3,"12,5"\n', 'line 4: amount "12,5" is not an amount (digits with a point, e.g. 1500.00)'],
      ['agentTransactionId,amount\n1,1.005\n', 'line 2: amount "1.005" is not an amount (2 fraction digits at most)'],
      ['agentTransactionId,amount\n1,0\n', 'line 2: amount "0" is not an amount (it must be above zero)'],
      ['agentTransactionId,amount\n1,\n', 'line 2: amount "" is not an amount (digits with a point, e.g. 1500.00)'],
      ['agentTransactionId,amount\n1,1.00\nabc,2.00\n', 'line 3: agentTransactionId "abc" is not 1-18 digits'],
      ['agentTransactionId,amount\n1234567890123456789,2.00\n', 'line 2: agentTransactionId "1234567890123456789" is not 1-18 digits'],
      ['agentTransactionId,amount,transactionId\n1,2.00,x1\n', 'line 2: transactionId "x1" is not 1-18 digits'],
      ['agentTransactionId,amount,currency\n1,2.00,KZT\n2,2.00,KGS\n', 'line 3: currency "KGS" is not the agent\'s KZT'],
      ['agentTransactionId,amount,state\n1,2.00,refunded\n', 'line 2: state "refunded" is not one of succeeded, paid, accepted, waiting, failed, cancelled, checked, check_failed (or empty)'],
      ['agentTransactionId,amount\n1,2.00\n2\n', 'line 3: the line has another number of fields than the header'],
      ['agentTransactionId,amount\n1,"2.00\n', 'line 2: a quoted field is not closed'],
      // The file's own lines, counted past empty lines and line breaks inside quoted fields.
      ['\nagentTransactionId,amount,account\n\n1,2.00,"two\nlines"\n   \n2,2.0x,a\n', 'line 7: amount "2.0x" is not an amount (digits with a point, e.g. 1500.00)'],
      [`agentTransactionId,amount,account\n1,2.00,${'x'.repeat(5000)}\n`, 'line 2: the line is longer than 4096 bytes'],
    ];
    for (const [text, message] of refusals) {
      await expect(upload(text), message).rejects.toMatchObject({ kind: 'invalid', code: 'bad_registry', message });
    }
    // Saved in windows-1251 (an account in Cyrillic): refused at its line, never stored with replacement characters.
    const cp1251 = Buffer.concat([Buffer.from('agentTransactionId,amount,account\n1,2.00,ok\n2,2.00,'), Buffer.from([0xc0, 0xeb, 0xec, 0xe0]), Buffer.from('\n')]);
    await expect(upload(cp1251)).rejects.toMatchObject({ code: 'bad_registry', message: 'line 3: the file is not UTF-8 text (save it as "CSV UTF-8")' });
    await expect(upload(Buffer.concat([Buffer.from('agentTransactionId,amount\n1,2.00\n'), Buffer.from([0xd0])]))).rejects.toMatchObject({ message: 'line 3: the file is not UTF-8 text: it ends inside a character' });
    expect(await registryCount()).toBe(before);
    expect((await db.query('SELECT 1 FROM agent_registry_lines l LEFT JOIN agent_registries r ON r.id = l.registry_id WHERE r.id IS NULL')).rowCount).toBe(0);
  });

  it('refuses a file past the line or byte limit (small injected limits), an unknown agent and a bad day', async () => {
    const text = `agentTransactionId,amount\n${Array.from({ length: 11 }, (_, i) => `${i + 1},1.00`).join('\n')}\n`;
    const limits = { ...AGENT_REGISTRY_LIMITS, maxLines: 10, batchLines: 3 };
    await expect(upload(text, { limits })).rejects.toMatchObject({ code: 'bad_registry', message: 'line 12: the file has more than 10 lines' });
    await expect(upload(text, { limits: { ...AGENT_REGISTRY_LIMITS, maxBytes: 40 } })).rejects.toMatchObject({ code: 'bad_registry', message: 'the file is larger than 40 bytes' });
    expect(await upload(text, { limits: { ...limits, maxLines: 11 }, day: '2026-11-01' })).toMatchObject({ lineCount: 11, totalMinor: 1_100n });
    await expect(upload(text, { agent: 999_999n })).rejects.toMatchObject({ kind: 'not_found', code: 'agent_not_found' });
    await expect(upload(text, { day: '2026-02-30' })).rejects.toMatchObject({ kind: 'invalid', code: 'bad_day' });
  });

  it('keeps lines that repeat an agentTransactionId; a later upload of the day supersedes, the earlier stays', async () => {
    const day = '2026-11-15';
    const first = await upload('agentTransactionId,amount\n5,10.00\n', { agent: kgsAgentId, day });
    const second = await upload('agentTransactionId,amount,currency\n5,10.00,KGS\n5,10.00,KGS\n6,1.00,\n', { agent: kgsAgentId, day });
    expect(second).toMatchObject({ lineCount: 3, totalMinor: 2_100n });
    const audited = (await listAudit(db, { action: 'agent_registry.upload', targetId: second.id.toString() })).entries[0]!;
    expect(audited.after).toMatchObject({ supersedes: first.id.toString() });
    expect((await lines(second.id)).map((row) => row.agent_txn_id)).toEqual([5n, 5n, 6n]);
    expect(await latestAgentRegistry(db, kgsAgentId, day)).toEqual(second);
    expect(await latestAgentRegistry(db, kgsAgentId, '2026-11-16')).toBeUndefined();
    expect((await listAgentRegistries(db, kgsAgentId)).map((r) => r.id)).toEqual([second.id, first.id]);
    expect(await getAgentRegistry(db, first.id)).toEqual(first);
    // Another agent's uploads are not in this agent's list.
    expect((await listAgentRegistries(db, kgsAgentId)).every((r) => r.agentId === kgsAgentId)).toBe(true);
  });

  it('streams a file of 200,000 lines in batches, never as one text', { timeout: 120_000 }, async () => {
    const count = 200_000;
    const hash = createHash('sha256');
    let produced = 0;
    async function* file(): AsyncIterable<Buffer> {
      const head = Buffer.from('agentTransactionId,transactionId,serviceId,account,amount,state\n');
      hash.update(head);
      yield head;
      for (let start = 1; start <= count; start += 5_000) {
        const chunk = Buffer.from(Array.from({ length: 5_000 }, (_, i) => `${start + i},${start + i},P1011,777${start + i},1.50,succeeded\n`).join(''));
        produced += chunk.length;
        hash.update(chunk);
        yield chunk;
      }
    }
    const stored = await upload(file(), { day: '2026-11-20' });
    expect(produced).toBeGreaterThan(8_000_000);
    expect(stored).toMatchObject({ lineCount: count, totalMinor: BigInt(count) * 150n, sha256: hash.digest('hex') });
    const figures = (await db.query<{ n: bigint; max: number }>('SELECT count(*)::int8 AS n, max(line_no) AS max FROM agent_registry_lines WHERE registry_id = $1', [stored.id])).rows[0]!;
    expect(figures).toEqual({ n: BigInt(count), max: count });
  });
});
