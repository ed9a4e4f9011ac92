import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { ShiftedClock } from '../../src/domain/clock.ts';
import { agentFunds, createAgent, findAgent } from '../../src/engine/agents.ts';
import { createOperator } from '../../src/engine/operators.ts';
import { approveProposal, listProposals, moveMoneyDirectly, proposeMoneyMovement, rejectProposal } from '../../src/engine/approvals.ts';
import { LOCAL_ACTOR, type Actor } from '../../src/engine/sessions.ts';
import { listAudit, verifyAuditChain } from '../../src/engine/audit.ts';
import { checkInvariants } from '../../src/ledger/ledger.ts';
import { openTestDb } from '../helpers/harness.ts';

/** Maker-checker for money on a real store: one proposes, another approves, the transfer happens once. */
let db: Db;
const clock = new ShiftedClock(new Date('2027-01-01T00:05:00+06:00'));
let agentId: bigint;
let maker: Actor;
let checker: Actor;

async function available(): Promise<bigint> {
  return (await agentFunds(db, (await findAgent(db, agentId))!)).availableMinor;
}

beforeAll(async () => {
  db = await openTestDb();
  await migrate(db);
  agentId = (await createAgent(db, { name: 'Funded agent', currency: 'KZT', openingBalanceMinor: 1_000_00n })).agent.id;
  const a = await createOperator(db, { login: 'maker', password: 'maker password', role: 'operator' }, clock);
  const b = await createOperator(db, { login: 'checker', password: 'checker password', role: 'operator' }, clock);
  maker = { principal: { kind: 'operator', id: a.id, login: a.login, role: a.role }, ip: '10.0.0.5' };
  checker = { principal: { kind: 'operator', id: b.id, login: b.login, role: b.role }, ip: '10.0.0.6' };
});
afterAll(async () => {
  expect((await checkInvariants(db)).ok).toBe(true);
  await db?.close();
});

describe('maker-checker', () => {
  it('a proposal moves nothing until another operator approves; the maker cannot approve its own', async () => {
    const proposal = await proposeMoneyMovement(db, maker, { kind: 'topup', agentId, amountMinor: 500_00n, reason: 'bank transfer 42' }, clock);
    expect(proposal.state).toBe('proposed');
    expect(await available()).toBe(1_000_00n);
    await expect(approveProposal(db, maker, proposal.id, clock)).rejects.toMatchObject({ code: 'same_operator', kind: 'forbidden' });
    const { proposal: approved, funds } = await approveProposal(db, checker, proposal.id, clock);
    expect(approved.state).toBe('approved');
    expect(approved.checkerLogin).toBe('checker');
    expect(approved.transferId).not.toBeNull();
    expect(approved.decidedAt?.toISOString()).toBe(clock.now().toISOString().slice(0, 15) + approved.decidedAt!.toISOString().slice(15));
    expect(funds.availableMinor).toBe(1_500_00n);
    await expect(approveProposal(db, checker, proposal.id, clock)).rejects.toMatchObject({ code: 'already_decided' });
    const transfer = await db.query<{ created_at: Date; reason: string }>('SELECT created_at, reason FROM ledger_transfers WHERE id = $1', [approved.transferId]);
    expect(transfer.rows[0]!.reason).toContain('bank transfer 42');
    expect(Math.abs(transfer.rows[0]!.created_at.getTime() - clock.now().getTime())).toBeLessThan(60_000); // the engine's clock, not the machine's
  });

  it('two approvals racing move the money once', async () => {
    const proposal = await proposeMoneyMovement(db, maker, { kind: 'topup', agentId, amountMinor: 1_00n, reason: 'race' }, clock);
    const third = await createOperator(db, { login: 'checker2', password: 'checker2 password', role: 'operator' }, clock);
    const other: Actor = { principal: { kind: 'operator', id: third.id, login: third.login, role: third.role }, ip: null };
    const before = await available();
    const outcomes = await Promise.allSettled([approveProposal(db, checker, proposal.id, clock), approveProposal(db, other, proposal.id, clock)]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason.code)).toEqual(['already_decided']);
    expect(await available()).toBe(before + 1_00n);
  });

  it('a correction takes money back, never below the floor; a rejection moves nothing', async () => {
    const before = await available();
    const down = await proposeMoneyMovement(db, maker, { kind: 'correction', agentId, amountMinor: -100_00n, reason: 'double top-up' }, clock);
    expect((await approveProposal(db, checker, down.id, clock)).funds.availableMinor).toBe(before - 100_00n);
    const tooMuch = await proposeMoneyMovement(db, maker, { kind: 'correction', agentId, amountMinor: -(before * 2n), reason: 'too much' }, clock);
    await expect(approveProposal(db, checker, tooMuch.id, clock)).rejects.toMatchObject({ code: 'exceeds_floor' });
    expect((await listProposals(db, { state: 'proposed' })).map((p) => p.id)).toContain(tooMuch.id); // still open: nothing committed
    const rejected = await rejectProposal(db, checker, tooMuch.id, clock, 'wrong amount');
    expect(rejected).toMatchObject({ state: 'rejected', decisionNote: 'wrong amount', transferId: null });
    expect(await available()).toBe(before - 100_00n);
  });

  it('refuses bad proposals: zero, a negative top-up, no reason, an unknown agent, a cabinet user', async () => {
    await expect(proposeMoneyMovement(db, maker, { kind: 'topup', agentId, amountMinor: 0n, reason: 'x' }, clock)).rejects.toMatchObject({ code: 'zero_amount' });
    await expect(proposeMoneyMovement(db, maker, { kind: 'topup', agentId, amountMinor: -5n, reason: 'x' }, clock)).rejects.toMatchObject({ code: 'negative_topup' });
    await expect(proposeMoneyMovement(db, maker, { kind: 'topup', agentId, amountMinor: 5n, reason: ' ' }, clock)).rejects.toMatchObject({ code: 'no_reason' });
    await expect(proposeMoneyMovement(db, maker, { kind: 'topup', agentId: 987_654n, amountMinor: 5n, reason: 'x' }, clock)).rejects.toMatchObject({ code: 'agent_not_found' });
    const cabinet: Actor = { principal: { kind: 'agent_user', id: 1n, login: 'c', agentId }, ip: null };
    await expect(proposeMoneyMovement(db, cabinet, { kind: 'topup', agentId, amountMinor: 5n, reason: 'x' }, clock)).rejects.toMatchObject({ kind: 'forbidden' });
  });

  it('the local socket moves money directly, recorded as a self-approved proposal; operators cannot', async () => {
    const before = await available();
    const { proposal } = await moveMoneyDirectly(db, LOCAL_ACTOR, { kind: 'topup', agentId, amountMinor: 7_00n, reason: 'cash desk' }, clock);
    expect(proposal).toMatchObject({ state: 'approved', makerLogin: 'local', checkerLogin: 'local' });
    expect(await available()).toBe(before + 7_00n);
    await expect(moveMoneyDirectly(db, maker, { kind: 'topup', agentId, amountMinor: 7_00n, reason: 'x' }, clock)).rejects.toMatchObject({ code: 'needs_checker' });
    const audit = await listAudit(db, { targetKind: 'proposal', targetId: String(proposal.id) });
    expect(audit.entries.map((e) => e.action)).toEqual(['proposals.approve', 'proposals.propose']);
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });
});
