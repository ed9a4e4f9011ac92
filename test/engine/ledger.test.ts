import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { checkInvariants, ensureAccount, getBalance, LedgerError, postPending, reserve, transfer, voidPending, availableBalance, postedBalance } from '../../src/ledger/ledger.ts';
import { openTestDb } from '../helpers/harness.ts';

/** The ledger on a real database: balanced transfers only, reservations resolved exactly once, floors enforced. */
let db: Db;
let agent: bigint;
let provider: bigint;
let funding: bigint;

beforeAll(async () => {
  db = await openTestDb();
  await migrate(db);
  await db.tx(async (q) => {
    agent = await ensureAccount(q, 'agent:test', 'agent', 'KZT');
    provider = await ensureAccount(q, 'provider:test:KZT', 'provider', 'KZT');
    funding = await ensureAccount(q, 'funding:KZT', 'funding', 'KZT');
  });
});
afterAll(async () => db?.close());

describe('ledger', () => {
  it('a top-up is one balanced transfer', async () => {
    await db.tx((q) => transfer(q, { debitAccountId: funding, creditAccountId: agent, amountMinor: 100_00n, currency: 'KZT', reason: 'top-up' }));
    const balance = await getBalance(db, agent);
    expect(postedBalance(balance)).toBe(100_00n);
    expect((await checkInvariants(db)).ok).toBe(true);
  });

  it('a reservation holds funds; posting moves them once; a second post or a void is refused', async () => {
    const pending = await db.tx((q) => reserve(q, { debitAccountId: agent, creditAccountId: provider, amountMinor: 30_00n, currency: 'KZT', reason: 'pay', debitFloorMinor: 0n }));
    expect(availableBalance(await getBalance(db, agent))).toBe(70_00n);
    expect(postedBalance(await getBalance(db, agent))).toBe(100_00n);
    await db.tx((q) => postPending(q, pending, 'paid'));
    expect(postedBalance(await getBalance(db, agent))).toBe(70_00n);
    expect(postedBalance(await getBalance(db, provider))).toBe(30_00n);
    await expect(db.tx((q) => postPending(q, pending, 'again'))).rejects.toMatchObject({ code: 'already_resolved' });
    await expect(db.tx((q) => voidPending(q, pending, 'too late'))).rejects.toBeInstanceOf(LedgerError);
    expect((await checkInvariants(db)).ok).toBe(true);
  });

  it('a voided reservation gives the funds back', async () => {
    const pending = await db.tx((q) => reserve(q, { debitAccountId: agent, creditAccountId: provider, amountMinor: 20_00n, currency: 'KZT', reason: 'pay' }));
    await db.tx((q) => voidPending(q, pending, 'declined'));
    expect(availableBalance(await getBalance(db, agent))).toBe(70_00n);
    expect((await checkInvariants(db)).ok).toBe(true);
  });

  it('the database itself refuses a second resolution, even bypassing the code', async () => {
    const pending = await db.tx((q) => reserve(q, { debitAccountId: agent, creditAccountId: provider, amountMinor: 1_00n, currency: 'KZT', reason: 'pay' }));
    await db.tx((q) => voidPending(q, pending, 'declined'));
    await expect(db.query(
      `INSERT INTO ledger_transfers (kind, debit_account_id, credit_account_id, amount_minor, currency, pending_id, reason) VALUES ('post', $1, $2, 100, 'KZT', $3, 'x')`,
      [agent, provider, pending],
    )).rejects.toThrow(/unique|duplicate/i);
  });

  it('refuses to cross the floor, and transfers across currencies', async () => {
    await expect(db.tx((q) => reserve(q, { debitAccountId: agent, creditAccountId: provider, amountMinor: 70_01n, currency: 'KZT', reason: 'pay', debitFloorMinor: 0n })))
      .rejects.toMatchObject({ code: 'exceeds_floor' });
    const som = await db.tx((q) => ensureAccount(q, 'agent:kg', 'agent', 'KGS'));
    await expect(db.tx((q) => transfer(q, { debitAccountId: funding, creditAccountId: som, amountMinor: 1n, currency: 'KZT', reason: 'x' })))
      .rejects.toMatchObject({ code: 'currency_mismatch' });
    expect(availableBalance(await getBalance(db, agent))).toBe(70_00n);
  });

  it('detects a cache that drifted from the transfers', async () => {
    await db.query('UPDATE ledger_accounts SET credits_posted = credits_posted + 1 WHERE id = $1', [agent]);
    const report = await checkInvariants(db);
    expect(report.ok).toBe(false);
    expect(report.problems.join(' ')).toMatch(/agent:test: cached totals differ|posted sum/);
    await db.query('UPDATE ledger_accounts SET credits_posted = credits_posted - 1 WHERE id = $1', [agent]);
    expect((await checkInvariants(db)).ok).toBe(true);
  });

  it('refuses zero and negative amounts and transfers to the same account', async () => {
    await expect(db.tx((q) => transfer(q, { debitAccountId: funding, creditAccountId: agent, amountMinor: 0n, currency: 'KZT', reason: 'x' }))).rejects.toThrow();
    await expect(db.tx((q) => transfer(q, { debitAccountId: agent, creditAccountId: agent, amountMinor: 5n, currency: 'KZT', reason: 'x' }))).rejects.toThrow();
  });
});
