/**
 * The attention list's actions (issue 10): what resolves an item, given its payment's state and why it is there.
 *
 * - `retry`: drive the payment again now (no money moves, so no second operator);
 * - `mark_paid`: the provider confirms it has the payment — it succeeds with the provider's reference;
 * - `reverse`: cancel a succeeded payment at its provider (when its protocol can) and give the agent its money back;
 * - `refund`: the agent's money back for a payment that will never be paid;
 * - `close`: resolve with a note (operator-actions.ts).
 *
 * The three that move money are maker-checker: a proposal (money_proposals, kinds mark_paid / reverse / refund, with
 * the payment, the item and the provider's reference), executed only when a different operator approves it. Approval
 * claims the proposal in the payment action's own transaction, so two approvals racing execute it once; the money,
 * the payment's new state, the item's resolution, the proposal's state and the audit entry commit together.
 */
import type { Clock } from '../domain/clock.ts';
import type { Db, Queryable } from '../store/db.ts';
import { agentFunds, findAgent, type AgentFunds } from './agents.ts';
import { listAttention, lockAttention, resolveAttentionIn, type AttentionItem } from './attention.ts';
import { appendAudit } from './audit.ts';
import {
  isPaymentProposal, lockOpen, party, toProposal, type MoneyProposal, type Party, type PaymentProposalKind, type ProposalRow, type ProposalState,
} from './approvals.ts';
import { ServiceError } from './errors.ts';
import type { CancelAnswer, CancelRecoveryHooks, PaymentEngine, PaymentView } from './payments.ts';
import type { Actor } from './sessions.ts';

export type AttentionAction = 'retry' | PaymentProposalKind | 'close';

export type AttentionItemWithActions = AttentionItem & { actions: AttentionAction[] };

/** Why an action does not fit an item, or null when it does (`reversible`: the payment's provider can cancel). */
export function actionRefusal(item: AttentionItem, action: AttentionAction, reversible: boolean): string | null {
  if (item.resolvedAt) return `attention item ${item.id} is already resolved`;
  if (action === 'close') return null;
  const payment = item.payment;
  if (!payment) return `attention item ${item.id} has no payment to act on; close it with a note`;
  const state = payment.state;
  const open = state === 'accepted' || state === 'waiting';
  switch (action) {
    case 'retry':
      return open ? null : `payment ${item.paymentId} is ${state}: only a payment waiting for funds or still with the provider is driven again`;
    case 'mark_paid':
      return open || (state === 'failed' && payment.paidAt !== null) ? null
        : `payment ${item.paymentId} is ${state}: only a payment with the provider, waiting for funds, or refused after it was accepted can be marked paid`;
    case 'refund':
      // The checkout's wallet refunds (kind `refund`): the money is back with the acquirer in the ledger already, and
      // the Elsom merchant protocol has no refund call — the payer is refunded in Elsom's cabinet, the item closed.
      if (item.kind === 'refund') return `the payer of payment ${item.paymentId} is refunded in the wallet's own merchant cabinet (its protocol has no refund call); close this item with the wallet's refund reference`;
      return open || state === 'succeeded' ? null
        : `payment ${item.paymentId} is ${state}: ${state === 'failed' ? 'its reservation was voided when it failed, the agent already has the money' : 'nothing to refund'}`;
    case 'reverse':
      if (state !== 'succeeded') return `payment ${item.paymentId} is ${state}: only a succeeded payment can be reversed at its provider`;
      return reversible ? null : `the provider of payment ${item.paymentId} cannot cancel payments; refund it instead`;
    case 'pay_provider':
      return 'sending a payment to its provider again answers a three-way reconciliation item; propose it from the reconciliation run';
  }
}

const ALL_ACTIONS: AttentionAction[] = ['retry', 'mark_paid', 'reverse', 'refund', 'close'];

/** The actions that fit each item (none for a resolved one). */
export async function withActions(engine: PaymentEngine, items: AttentionItem[]): Promise<AttentionItemWithActions[]> {
  return Promise.all(items.map(async (item) => {
    const reversible = item.payment?.state === 'succeeded' && (await engine.providerCancels(item.payment.serviceId));
    return { ...item, actions: ALL_ACTIONS.filter((action) => actionRefusal(item, action, reversible) === null) };
  }));
}

async function requireFitting(
  q: Queryable, engine: PaymentEngine, itemId: bigint, action: AttentionAction, lock = true,
): Promise<AttentionItem & { payment: NonNullable<AttentionItem['payment']> }> {
  const item = lock ? await lockAttention(q, itemId) : (await listAttention(q, true, itemId))[0];
  if (!item) throw new ServiceError('not_found', 'item_not_found', `attention item ${itemId} not found`);
  const reversible = action === 'reverse' && item.payment !== null && (await engine.providerCancels(item.payment.serviceId));
  const refusal = actionRefusal(item, action, reversible);
  if (refusal !== null) throw new ServiceError('conflict', item.resolvedAt ? 'already_resolved' : 'action_not_fitting', refusal);
  return item as AttentionItem & { payment: NonNullable<AttentionItem['payment']> };
}

/** Drives the item's payment again now; the item stays open until the payment settles (which closes it). */
export async function retryAttention(db: Db, engine: PaymentEngine, actor: Actor, itemId: bigint, clock: Clock): Promise<PaymentView> {
  const paymentId = (await requireFitting(db, engine, itemId, 'retry', false)).paymentId!;
  return engine.retryNow(paymentId, {
    // Read again under the payment's lock, without locking the item (the drive's settlement locks payment, then items).
    claim: async (q) => void (await requireFitting(q, engine, itemId, 'retry', false)),
    record: async (q, before, after) => {
      await appendAudit(q, actor, {
        action: 'attention.retry', targetKind: 'attention', targetId: itemId,
        before: { paymentId, state: before.state }, after: { paymentId, state: after.state },
      }, clock);
    },
  });
}

export interface PaymentProposalInput {
  action: PaymentProposalKind;
  /** Why: what the operator saw (the provider's confirmation, the customer's call). */
  note: string;
  /** mark_paid: the provider's reference of the payment. */
  providerRef?: string;
}

function checkInput(input: PaymentProposalInput): { note: string; providerRef: string | null } {
  if (!isPaymentProposal(input.action)) throw new ServiceError('invalid', 'bad_action', 'a payment action is mark_paid, reverse or refund');
  const note = input.note.trim();
  if (!note) throw new ServiceError('invalid', 'no_note', 'a money movement needs a reason');
  if (note.length > 500) throw new ServiceError('invalid', 'reason_too_long', 'a reason has at most 500 characters');
  const providerRef = input.providerRef?.trim() || null;
  if (input.action === 'mark_paid' && !providerRef) throw new ServiceError('invalid', 'no_provider_ref', 'marking paid needs the provider\'s reference of the payment');
  if (providerRef !== null && providerRef.length > 100) throw new ServiceError('invalid', 'provider_ref_too_long', 'a provider reference has at most 100 characters');
  return { note, providerRef: input.action === 'mark_paid' ? providerRef : null };
}

/** Proposes a money action on an attention item's payment; a different operator approves it. One open at a time. */
export async function proposeAttentionAction(db: Db, engine: PaymentEngine, maker: Actor, itemId: bigint, input: PaymentProposalInput, clock: Clock): Promise<MoneyProposal> {
  const { note, providerRef } = checkInput(input);
  const who = party(maker.principal);
  return db.tx(async (q) => {
    const item = await requireFitting(q, engine, itemId, input.action);
    const agent = (await findAgent(q, item.payment.agentId))!;
    const inserted = await q.query<ProposalRow>(
      `INSERT INTO money_proposals (kind, agent_id, amount_minor, currency, reason, maker_id, maker_login, created_at, payment_id, attention_id, provider_ref)
       SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11
        WHERE NOT EXISTS (SELECT 1 FROM money_proposals WHERE payment_id = $9 AND state IN ('proposed', 'executing'))
       ON CONFLICT DO NOTHING RETURNING *`,
      [input.action, agent.id, item.payment.amountMinor, agent.currency, note, who.id, who.login, clock.now(), item.paymentId, itemId, providerRef],
    );
    if (!inserted.rows[0]) throw new ServiceError('conflict', 'open_proposal', `payment ${item.paymentId} already has an open proposal: approve or reject it first`);
    const proposal = toProposal(inserted.rows[0]);
    await appendAudit(q, maker, { action: 'proposals.propose', targetKind: 'proposal', targetId: proposal.id, after: proposal }, clock);
    return proposal;
  });
}

/** The proposal's decision, from the state the caller holds it in; a lost race is a conflict. */
async function settleProposal(q: Queryable, id: bigint, from: ProposalState, to: ProposalState, checker: Party | null, note: string | null, transferId: bigint | null, at: Date): Promise<MoneyProposal> {
  const updated = await q.query<ProposalRow>(
    `UPDATE money_proposals SET state = $3, checker_id = $4, checker_login = $5, decided_at = $6, decision_note = $7, transfer_id = $8,
            executing_since = CASE WHEN $3 = 'executing' THEN now() ELSE executing_since END
      WHERE id = $1 AND state = $2 RETURNING *`,
    [id, from, to, checker?.id ?? null, checker?.login ?? null, to === 'proposed' || to === 'executing' ? null : at, note, transferId],
  );
  if (!updated.rows[0]) throw new ServiceError('conflict', 'already_decided', `proposal ${id} was decided meanwhile`);
  return toProposal(updated.rows[0]);
}

/** Who decides and why: the approving operator (or, for the recovery job, the one recorded in the proposal). */
interface Decider {
  checker: Actor;
  clock: Clock;
  note: string | null;
}

interface Approval extends Decider {
  db: Db;
  engine: PaymentEngine;
}

/** Closes the proposal's item with what was done (before the payment's end could close it with the system's words). */
async function resolveItem(q: Queryable, a: Decider, open: MoneyProposal): Promise<void> {
  if (open.attentionId === null) return;
  const by = a.checker.principal.kind === 'operator' ? a.checker.principal.login : 'local';
  const ref = open.providerRef ? ` (${open.providerRef})` : '';
  await resolveAttentionIn(q, open.attentionId, `${open.kind}${ref} proposed by ${open.makerLogin}, approved by ${by}: ${open.reason}`, a.clock.now());
}

/** What an executed proposal writes beside the payment's change: its new state and the audit entry. */
async function recordExecuted(
  q: Queryable, a: Decider, open: MoneyProposal, from: ProposalState, before: PaymentView, after: PaymentView, transferId: bigint | null, recovery?: string,
): Promise<MoneyProposal> {
  const proposal = await settleProposal(q, open.id, from, 'approved', party(a.checker.principal), a.note, transferId, a.clock.now());
  await appendAudit(q, a.checker, {
    action: 'proposals.approve', targetKind: 'proposal', targetId: open.id,
    before: { state: from, payment: { id: before.transactionId, state: before.state } },
    after: { ...proposal, payment: { id: after.transactionId, state: after.state, providerRef: after.providerRef }, ...(recovery ? { recovery } : {}) },
  }, a.clock);
  return proposal;
}

async function openProposal(db: Db, id: bigint, checker: Party): Promise<MoneyProposal> {
  const row = await db.tx((q) => lockOpen(q, id, checker, false));
  return toProposal(row);
}

/** Approves another operator's payment proposal and executes it, once; the agent's funds after it are returned. */
export async function approvePaymentProposal(db: Db, engine: PaymentEngine, checker: Actor, id: bigint, clock: Clock, note?: string): Promise<{ proposal: MoneyProposal; funds: AgentFunds }> {
  const who = party(checker.principal);
  const open = await openProposal(db, id, who);
  if (!isPaymentProposal(open.kind) || open.paymentId === null) throw new ServiceError('conflict', 'not_payment_proposal', `proposal ${id} is not a payment action`);
  const a: Approval = { db, engine, checker, clock, note: note?.trim() || null };
  const proposal = open.kind === 'reverse' ? await approveReverse(a, open)
    : open.kind === 'pay_provider' ? await approvePayProvider(a, open) : await approveInPayment(a, open);
  const agent = (await findAgent(db, open.agentId))!;
  return { proposal, funds: await agentFunds(db, agent) };
}

async function approveInPayment(a: Approval, open: MoneyProposal): Promise<MoneyProposal> {
  let proposal: MoneyProposal | undefined;
  const hooks = {
    claim: async (q: Queryable) => {
      await lockOpen(q, open.id, party(a.checker.principal), false);
      await resolveItem(q, a, open);
    },
    record: async (q: Queryable, before: PaymentView, after: PaymentView, transferId: bigint | null) => {
      proposal = await recordExecuted(q, a, open, 'proposed', before, after, transferId);
    },
  };
  if (open.kind === 'mark_paid') await a.engine.markPaidByOperator(open.paymentId!, open.providerRef!, open.reason, hooks);
  else await a.engine.refundByOperator(open.paymentId!, open.reason, hooks);
  return proposal!;
}

/**
 * A reversal talks to the provider, so it cannot run inside one transaction: the proposal is first claimed
 * ('executing', committed — a second approval now finds it taken), then the engine cancels at the provider (recording
 * the cancel before it leaves). Its yes commits the reverse transfer with the approval; its no marks the proposal
 * failed; a cancel already running elsewhere puts it back. An answer that says nothing final leaves it executing: the
 * outcome is unknown, and the reversal-recovery job asks the provider's status, then completes or reopens it.
 */
async function approveReverse(a: Approval, open: MoneyProposal): Promise<MoneyProposal> {
  const who = party(a.checker.principal);
  await a.db.tx(async (q) => {
    await lockOpen(q, open.id, who, false);
    await settleProposal(q, open.id, 'proposed', 'executing', who, a.note, null, a.clock.now());
  });
  let proposal: MoneyProposal | undefined;
  let answer;
  try {
    answer = await a.engine.reverseByOperator(open.paymentId!, open.reason, async (q, before, after, transferId) => {
      await resolveItem(q, a, open);
      proposal = await recordExecuted(q, a, open, 'executing', before, after, transferId);
    });
  } catch (error) {
    // A failure around the call (the store, say): open again. A cancel that did leave was recorded first, so the next
    // approval (or the recovery job) asks the provider's status before anything else.
    await a.db.tx((q) => settleProposal(q, open.id, 'executing', 'proposed', null, null, null, a.clock.now()));
    throw error;
  }
  if (answer.kind === 'cancelled' && proposal) return proposal;
  const end = reversalEnd(answer);
  await a.db.tx(async (q) => {
    const after = end.to === 'executing' ? open : await settleProposal(q, open.id, 'executing', end.to, end.to === 'failed' ? who : null, end.to === 'failed' ? end.why : null, null, a.clock.now());
    await appendAudit(q, a.checker, { action: 'proposals.approve', targetKind: 'proposal', targetId: open.id, before: { state: 'executing' }, after: { ...after, state: end.to, outcome: end.why } }, a.clock);
  });
  throw new ServiceError('conflict', end.code, end.why);
}

/**
 * Sends the payment to its provider again (engine.resendToProvider: status first, then the pay under the same id).
 * The proposal is approved when the provider has the payment afterwards (sent now, or it had it already: its registry
 * was wrong); refused by the provider, it fails; an answer that says nothing final, or a provider call of the payment
 * running, leaves it proposed — approving again asks the status first. No ledger transfer: none is due.
 */
async function approvePayProvider(a: Approval, open: MoneyProposal): Promise<MoneyProposal> {
  const who = party(a.checker.principal);
  await a.db.tx((q) => lockOpen(q, open.id, who, false));
  const answer = await a.engine.resendToProvider(open.paymentId!);
  if (answer.kind === 'paid' || answer.kind === 'already_paid') {
    const outcome = answer.kind === 'paid' ? `sent again; the provider took it (${answer.providerRef})` : `the provider already had it (${answer.providerRef}); nothing sent`;
    return a.db.tx(async (q) => {
      await lockOpen(q, open.id, who, false);
      const after = { ...answer.payment, providerRef: answer.providerRef };
      return recordExecuted(q, { ...a, note: a.note ? `${a.note} — ${outcome}` : outcome }, open, 'proposed', answer.payment, after, null);
    });
  }
  if (answer.kind === 'not_found') throw new ServiceError('not_found', 'payment_not_found', `payment ${open.paymentId} not found`);
  if (answer.kind === 'refused') {
    await a.db.tx(async (q) => {
      const failed = await settleProposal(q, open.id, 'proposed', 'failed', who, answer.message, null, a.clock.now());
      await appendAudit(q, a.checker, { action: 'proposals.approve', targetKind: 'proposal', targetId: open.id, before: { state: 'proposed' }, after: { ...failed, outcome: answer.message } }, a.clock);
    });
    throw new ServiceError('conflict', 'provider_refused', answer.message);
  }
  if (answer.kind === 'busy') throw new ServiceError('conflict', 'provider_call_running', 'a provider call of this payment is running right now; approve again in a moment');
  throw new ServiceError('conflict', 'provider_unknown', answer.kind === 'unknown' ? answer.reason : 'the provider\'s answer said nothing final');
}

/** Where a reversal's proposal goes after an answer other than "cancelled, recorded", and what the operator is told. */
function reversalEnd(answer: CancelAnswer): { to: ProposalState; code: string; why: string } {
  switch (answer.kind) {
    case 'refused':
      if (answer.reason === 'in_processing') return { to: 'proposed', code: 'provider_call_running', why: 'a cancellation of this payment is with the provider right now; approve again in a moment' };
      return { to: 'failed', code: 'provider_refused', why: `the provider refused the cancellation (${answer.reason}${answer.message ? `: ${answer.message}` : ''})` };
    case 'unknown':
      return { to: 'executing', code: 'provider_unknown', why: `the provider's answer said nothing final (${answer.reason}); the reversal stays executing: recovery asks the provider and completes it or reopens it` };
    case 'cancelled':
    case 'not_found':
      return { to: 'failed', code: 'provider_refused', why: 'the payment changed meanwhile' };
  }
}

// ---------------------------------------------------------------- the reversal-recovery job's settlements

/** The payment's reversal proposal still executing, locked in the caller's transaction; undefined when there is none. */
async function lockExecuting(q: Queryable, paymentId: bigint): Promise<MoneyProposal | undefined> {
  const row = (await q.query<ProposalRow>(
    `SELECT * FROM money_proposals WHERE payment_id = $1 AND kind = 'reverse' AND state = 'executing' FOR UPDATE`, [paymentId])).rows[0];
  return row ? toProposal(row) : undefined;
}

/**
 * The approver the proposal recorded when it was claimed: recovery completes the approval in their name (the audit
 * log keeps the kind, id and login of an actor; an operator's role is not part of the entry).
 */
function recordedApprover(open: MoneyProposal, clock: Clock, note: string): Decider {
  const principal = open.checkerId === null ? { kind: 'local' as const } : { kind: 'operator' as const, id: open.checkerId, login: open.checkerLogin ?? '', role: 'operator' as const };
  return { checker: { principal, ip: null }, clock, note: open.decisionNote ? `${open.decisionNote} — ${note}` : note };
}

const RECOVERED = 'completed by reversal recovery: the provider reports the payment cancelled';

/** Puts an executing reversal back to `proposed` (or `failed`), audited in the recorded approver's name. */
async function endExecuting(q: Queryable, clock: Clock, paymentId: bigint, to: 'proposed' | 'failed', why: string): Promise<void> {
  const open = await lockExecuting(q, paymentId);
  if (!open) return;
  const d = recordedApprover(open, clock, why);
  const after = await settleProposal(q, open.id, 'executing', to, to === 'failed' ? party(d.checker.principal) : null, why, null, clock.now());
  await appendAudit(q, d.checker, { action: 'proposals.approve', targetKind: 'proposal', targetId: open.id, before: { state: 'executing' }, after: { ...after, outcome: why, recovery: why } }, clock);
}

/** How the reversal-recovery job settles the proposal of a payment whose cancellation it resolved (if it has one). */
export function reversalRecoveryHooks(clock: Clock): CancelRecoveryHooks {
  return {
    cancelled: async (q, before, after, transferId) => {
      const open = await lockExecuting(q, before.transactionId);
      if (!open) return;
      const d = recordedApprover(open, clock, RECOVERED);
      await resolveItem(q, d, open);
      await recordExecuted(q, d, open, 'executing', before, after, transferId, RECOVERED);
    },
    stillPaid: (q, payment) => endExecuting(q, clock, payment.transactionId, 'proposed',
      'recovery: the provider still has the payment, the cancellation never took effect; approve again to retry'),
    neverSent: (q, payment) => endExecuting(q, clock, payment.transactionId, 'proposed',
      'recovery: the cancellation never left the hub (it stopped first); approve again to retry'),
    moot: (q, payment) => endExecuting(q, clock, payment.transactionId, 'failed', `recovery: the payment is ${payment.state} now; nothing to reverse`),
  };
}
