/**
 * Maker-checker for money (issue 10): a top-up or a correction of an agent's balance is proposed by one operator and
 * executed only when a different one approves it. Approval claims the proposal with a conditional UPDATE (state still
 * 'proposed'), so two approvals racing execute the transfer once; the transfer, the proposal's new state and the audit
 * entry commit together. A correction that would take the agent below its overdraft floor is refused, never forced.
 */
import type { Clock } from '../domain/clock.ts';
import type { Db, Queryable } from '../store/db.ts';
import { LedgerError } from '../ledger/ledger.ts';
import { agentFunds, findAgent, refreshNotification, topUpIn, type AgentFunds } from './agents.ts';
import { appendAudit } from './audit.ts';
import { ServiceError } from './errors.ts';
import type { Actor, Principal } from './sessions.ts';

/** A balance movement (topup, correction), or an attention-list action on a payment (attention-actions.ts). */
export type ProposalKind = 'topup' | 'correction' | PaymentProposalKind;
export type PaymentProposalKind = 'mark_paid' | 'reverse' | 'refund' | 'pay_provider';
/** 'executing': a reversal claimed while its provider call runs; 'failed': the provider refused it. */
export type ProposalState = 'proposed' | 'executing' | 'approved' | 'rejected' | 'failed';

export function isPaymentProposal(kind: ProposalKind): kind is PaymentProposalKind {
  return kind === 'mark_paid' || kind === 'reverse' || kind === 'refund' || kind === 'pay_provider';
}

export interface MoneyProposal {
  id: bigint;
  kind: ProposalKind;
  agentId: bigint;
  /** Positive for a top-up; a correction is signed (negative takes money back). */
  amountMinor: bigint;
  currency: string;
  reason: string;
  makerId: bigint | null;
  makerLogin: string;
  state: ProposalState;
  checkerId: bigint | null;
  checkerLogin: string | null;
  decidedAt: Date | null;
  decisionNote: string | null;
  transferId: bigint | null;
  createdAt: Date;
  /** A payment proposal's payment, the attention item it answers, and (mark_paid) the provider's reference. */
  paymentId: bigint | null;
  attentionId: bigint | null;
  providerRef: string | null;
  /** The three-way reconciliation item it answers (three-way-actions.ts). */
  reconCaseId: bigint | null;
}

export interface ProposalRow {
  id: bigint; kind: ProposalKind; agent_id: bigint; amount_minor: bigint; currency: string; reason: string;
  maker_id: bigint | null; maker_login: string; state: ProposalState; checker_id: bigint | null; checker_login: string | null;
  decided_at: Date | null; decision_note: string | null; transfer_id: bigint | null; created_at: Date;
  payment_id: bigint | null; attention_id: bigint | null; provider_ref: string | null; recon_case_id: bigint | null;
}

export function toProposal(row: ProposalRow): MoneyProposal {
  return {
    id: row.id, kind: row.kind, agentId: row.agent_id, amountMinor: row.amount_minor, currency: row.currency, reason: row.reason,
    makerId: row.maker_id, makerLogin: row.maker_login, state: row.state, checkerId: row.checker_id, checkerLogin: row.checker_login,
    decidedAt: row.decided_at, decisionNote: row.decision_note, transferId: row.transfer_id, createdAt: row.created_at,
    paymentId: row.payment_id, attentionId: row.attention_id, providerRef: row.provider_ref, reconCaseId: row.recon_case_id ?? null,
  };
}

/** Who a principal is in a proposal's maker and checker columns (the local socket has no operator row). */
export type Party = { id: bigint | null; login: string };

export function party(principal: Principal): Party {
  if (principal.kind === 'operator') return { id: principal.id, login: principal.login };
  if (principal.kind === 'local') return { id: null, login: 'local' };
  throw new ServiceError('forbidden', 'not_an_operator', 'only operators move money');
}

function samePerson(a: Party, b: Party): boolean {
  return a.id === b.id && a.login === b.login;
}

export interface ProposalInput {
  kind: ProposalKind;
  agentId: bigint;
  amountMinor: bigint;
  reason: string;
}

function checkProposal(input: ProposalInput): void {
  if (input.kind !== 'topup' && input.kind !== 'correction') throw new ServiceError('invalid', 'bad_kind', 'a proposal is a topup or a correction');
  if (input.amountMinor === 0n) throw new ServiceError('invalid', 'zero_amount', 'an amount of zero changes nothing');
  if (input.kind === 'topup' && input.amountMinor < 0n) throw new ServiceError('invalid', 'negative_topup', 'a top-up is positive; take money back with a correction');
  if (!input.reason.trim()) throw new ServiceError('invalid', 'no_reason', 'a money movement needs a reason');
  if (input.reason.length > 500) throw new ServiceError('invalid', 'reason_too_long', 'a reason has at most 500 characters');
}

export async function proposeMoneyMovement(db: Db, maker: Actor, input: ProposalInput, clock: Clock): Promise<MoneyProposal> {
  checkProposal(input);
  const who = party(maker.principal);
  return db.tx((q) => proposeIn(q, maker, who, input, clock));
}

async function proposeIn(q: Queryable, maker: Actor, who: Party, input: ProposalInput, clock: Clock): Promise<MoneyProposal> {
  const agent = await findAgent(q, input.agentId);
  if (!agent) throw new ServiceError('not_found', 'agent_not_found', `agent ${input.agentId} not found`);
  const inserted = await q.query<ProposalRow>(
    `INSERT INTO money_proposals (kind, agent_id, amount_minor, currency, reason, maker_id, maker_login, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
    [input.kind, agent.id, input.amountMinor, agent.currency, input.reason.trim(), who.id, who.login, clock.now()],
  );
  const proposal = toProposal(inserted.rows[0]!);
  await appendAudit(q, maker, { action: 'proposals.propose', targetKind: 'proposal', targetId: proposal.id, after: proposal }, clock);
  return proposal;
}

interface Decision {
  state: 'approved' | 'rejected';
  note: string | null;
  at: Date;
  transferId: bigint | null;
}

/**
 * Locks a proposal still open for a checker who is not its maker (`selfApproved`: the local socket's direct movement,
 * the one case where they are the same). A concurrent second decision waits on the lock, then finds it decided.
 */
export async function lockOpen(q: Queryable, id: bigint, checker: Party, selfApproved: boolean): Promise<ProposalRow> {
  const current = (await q.query<ProposalRow>('SELECT * FROM money_proposals WHERE id = $1 FOR UPDATE', [id])).rows[0];
  if (!current) throw new ServiceError('not_found', 'proposal_not_found', `proposal ${id} not found`);
  if (current.state !== 'proposed') throw new ServiceError('conflict', 'already_decided', `proposal ${id} is already ${current.state}`);
  if (!selfApproved && samePerson({ id: current.maker_id, login: current.maker_login }, checker)) {
    throw new ServiceError('forbidden', 'same_operator', 'the operator who proposed a money movement cannot decide it; another operator must');
  }
  return current;
}

async function decide(q: Queryable, id: bigint, checker: Party, decision: Decision): Promise<MoneyProposal> {
  const updated = await q.query<ProposalRow>(
    `UPDATE money_proposals SET state = $2, checker_id = $3, checker_login = $4, decided_at = $5, decision_note = $6, transfer_id = $7
      WHERE id = $1 AND state = 'proposed' RETURNING *`,
    [id, decision.state, checker.id, checker.login, decision.at, decision.note, decision.transferId],
  );
  if (!updated.rows[0]) throw new ServiceError('conflict', 'already_decided', `proposal ${id} was decided meanwhile`);
  return toProposal(updated.rows[0]);
}

async function executeIn(q: Queryable, checker: Actor, id: bigint, clock: Clock, note: string | null, selfApproved: boolean): Promise<{ proposal: MoneyProposal; funds: AgentFunds }> {
  const at = clock.now();
  const who = party(checker.principal);
  const open = await lockOpen(q, id, who, selfApproved);
  if (isPaymentProposal(open.kind)) throw new ServiceError('conflict', 'payment_proposal', `proposal ${id} is a payment action: the admin services approve it`);
  const agent = (await findAgent(q, open.agent_id))!;
  let transferId: bigint;
  try {
    transferId = await topUpIn(q, agent, open.amount_minor, `${open.kind} #${open.id}: ${open.reason}`, { at });
  } catch (error) {
    if (error instanceof LedgerError && error.code === 'exceeds_floor') {
      throw new ServiceError('conflict', 'exceeds_floor', 'the correction would take the agent below its overdraft floor; propose a smaller one');
    }
    throw error;
  }
  const proposal = await decide(q, id, who, { state: 'approved', note, at, transferId });
  await refreshNotification(q, agent, at);
  await appendAudit(q, checker, { action: 'proposals.approve', targetKind: 'proposal', targetId: id, before: { state: 'proposed' }, after: proposal }, clock);
  return { proposal, funds: await agentFunds(q, agent) };
}

/** Approves another operator's proposal and moves the money, once; the agent's funds after it are returned. */
export async function approveProposal(db: Db, checker: Actor, id: bigint, clock: Clock, note?: string): Promise<{ proposal: MoneyProposal; funds: AgentFunds }> {
  return db.tx((q) => executeIn(q, checker, id, clock, note?.trim() || null, false));
}

export async function rejectProposal(db: Db, checker: Actor, id: bigint, clock: Clock, note?: string): Promise<MoneyProposal> {
  const who = party(checker.principal);
  return db.tx(async (q) => {
    await lockOpen(q, id, who, false);
    const proposal = await decide(q, id, who, { state: 'rejected', note: note?.trim() || null, at: clock.now(), transferId: null });
    await appendAudit(q, checker, { action: 'proposals.reject', targetKind: 'proposal', targetId: id, before: { state: 'proposed' }, after: proposal }, clock);
    return proposal;
  });
}

/**
 * A top-up or correction without a second operator: the local socket's (and the CLI's on a stopped hub), which acts as
 * the machine's administrator — whoever holds the socket could edit the store anyway. Recorded as a proposal approved
 * by its own maker in one transaction, so every movement of money has the same history and audit entries.
 */
export async function moveMoneyDirectly(db: Db, actor: Actor, input: ProposalInput, clock: Clock): Promise<{ proposal: MoneyProposal; funds: AgentFunds }> {
  if (actor.principal.kind !== 'local') throw new ServiceError('forbidden', 'needs_checker', 'an operator proposes; another operator approves');
  checkProposal(input);
  return db.tx(async (q) => {
    const proposed = await proposeIn(q, actor, party(actor.principal), input, clock);
    return executeIn(q, actor, proposed.id, clock, 'direct (local socket)', true);
  });
}

export interface ProposalFilters {
  state?: ProposalState;
  agentId?: bigint;
}

/** Proposals newest first (the open ones are what checkers look at). */
export async function listProposals(q: Queryable, filters: ProposalFilters = {}, limit = 100): Promise<MoneyProposal[]> {
  const result = await q.query<ProposalRow>(
    `SELECT * FROM money_proposals WHERE ($1::text IS NULL OR state = $1) AND ($2::bigint IS NULL OR agent_id = $2)
      ORDER BY id DESC LIMIT $3`,
    [filters.state ?? null, filters.agentId ?? null, Math.min(Math.max(limit, 1), 500)],
  );
  return result.rows.map(toProposal);
}

export async function findProposal(q: Queryable, id: bigint): Promise<MoneyProposal | undefined> {
  const row = (await q.query<ProposalRow>('SELECT * FROM money_proposals WHERE id = $1', [id])).rows[0];
  return row ? toProposal(row) : undefined;
}
