/**
 * What an operator should do about each item of a three-way reconciliation (three-way.ts), and doing it.
 *
 * Each class gets a proposed action with its money effect and the reason, read from what the three books say:
 * - `pay_provider`: the provider lost a payment the hub paid — send it again under the same reference (status first);
 *   no ledger movement (the provider's account was credited when it succeeded);
 * - `reverse_at_provider`: cancel it at the provider (its own rules: the same business day) and give the agent its
 *   money back (agent +, provider −);
 * - `refund_agent`: the agent's money back for a payment the provider will never have (agent +, provider −);
 * - `mark_paid`: the provider holds a payment the hub did not count as paid — it succeeds with the provider's
 *   reference (agent −, provider +);
 * - `none`: no money of the hub's is wrong; the explanation says who corrects which book.
 * The four money actions are maker-checker: a proposal (money_proposals, linked to the item) that a different
 * operator approves (attention-actions.ts executes it). An item whose action is `none` is acknowledged with a note.
 * Both are in the audit log; carrying an action out and reconciling again gives `matched` (the tests do exactly that).
 */
import type { Clock } from '../domain/clock.ts';
import { formatAmount } from '../domain/money.ts';
import type { Db } from '../store/db.ts';
import { appendAudit } from './audit.ts';
import { party, toProposal, type MoneyProposal, type PaymentProposalKind, type ProposalRow } from './approvals.ts';
import { ServiceError } from './errors.ts';
import type { PaymentEngine } from './payments.ts';
import type { Actor } from './sessions.ts';
import { findCase, type ThreeWayCase } from './three-way.ts';

export const CASE_ACTIONS = ['none', 'pay_provider', 'reverse_at_provider', 'refund_agent', 'mark_paid'] as const;
export type CaseAction = (typeof CASE_ACTIONS)[number];
export type CaseMoneyAction = Exclude<CaseAction, 'none'>;

export interface CaseProposal {
  action: CaseAction;
  /** Other actions that fit, for the operator who knows more than the books (e.g. the provider cannot take it). */
  alternatives: CaseMoneyAction[];
  /** Why, and who corrects which book. */
  explanation: string;
  /** What the action moves: in the hub's ledger, and outside it. */
  moneyEffect: string;
  /** The two as template keys and values, for a reader in another language (the console). */
  reason: { key: ExplanationKey; effect: MoneyEffectKey; values: Record<string, string> };
}

/** The proposal kind each money action is approved as. */
const PROPOSAL_KIND: Record<CaseMoneyAction, PaymentProposalKind> = {
  pay_provider: 'pay_provider', reverse_at_provider: 'reverse', refund_agent: 'refund', mark_paid: 'mark_paid',
};

/** Why, per case: templates with {placeholders} (English here; the console has them in its languages, `twx_<key>`). */
export const EXPLANATIONS = {
  matched: 'All three books agree.',
  matched_unpaid: 'The books agree the payment is not paid (the hub: {state}).',
  duplicate_at_provider: 'The provider lists this payment {n} times; the hub sent it once. The provider keys payments on the hub\'s reference, so it cannot hold two: it removes the extra listing from its registry.',
  duplicate_at_agent: 'The agent lists its payment {txn} {n} times; the hub accepted that agentTransactionId once. The agent removes the extra line.',
  unknown_reference: 'The provider lists reference {reference}, which is no payment of the hub: the hub never sent it and holds no money for it. The provider reverses it or explains it.',
  unknown_agent_payment: 'The hub never accepted agentTransactionId {txn} and took no funds for it. The agent sends the pay again with the same agentTransactionId (a repeat is safe), or returns the customer\'s money.',
  lost_by_provider: 'The hub paid it (provider reference {ref}) but the provider\'s registry lacks it. Send it again under the same reference: the provider\'s status is asked first, and it keys payments on the reference, so it cannot be paid twice. If the provider cannot take it any more, refund the agent instead.',
  not_in_agent_registry: 'The hub paid it and charged the agent {amount}, and the provider has it; the agent\'s registry lacks it. The agent adds it (the agent API\'s status answers succeeded for it).',
  agent_says_unpaid: 'The hub paid it and charged the agent {amount}; the agent lists it as not paid. The agent corrects its registry — or, if it returned the customer\'s money, the payment is reversed.',
  provider_has_it: 'The provider holds this payment (its reference {ref}) but the hub counts it {state}. Mark it paid with the provider\'s reference: the agent keeps the customer\'s money for it.',
  provider_keeps_unpaid: 'The provider holds this payment but the hub counts it {state} and holds no money for it. The provider returns it (reverses it on its side).',
  hub_resolving: 'The hub is still resolving this payment with the provider: its status job settles it. Reconcile again afterwards.',
  hub_did_not_pay: 'The hub counts it {state} and holds no funds for it (the agent\'s reservation was released); the agent lists it as paid. The agent corrects its registry and returns the customer\'s money, or pays again under a new agentTransactionId.',
  agent_amount: 'The hub charged the agent {amount} for it as its pay request said; the agent\'s registry says {agentAmount}. The agent corrects its registry.',
  provider_amount_reverse: 'The provider records {providerAmount} for a payment the hub sent as {amount}. Reverse it at the provider (its same business day) and give the agent its money back; the agent pays again for the right amount. Or the provider corrects its record.',
  provider_amount_fix: 'The provider records {providerAmount} for a payment the hub sent as {amount}. The provider cannot reverse it: it corrects its record to the hub\'s amount.',
} as const;

/** What an action moves, per kind (the console's `twe_<key>`). */
export const MONEY_EFFECTS = {
  none: 'none: no money of the hub moves',
  pay_provider: 'ledger: none (the provider\'s account was credited {amount} when it succeeded); the provider receives it',
  agent_back: 'ledger: agent +{amount}, provider account −{amount}',
  agent_charged: 'ledger: agent −{amount}, provider account +{amount}',
} as const;

export type ExplanationKey = keyof typeof EXPLANATIONS;
export type MoneyEffectKey = keyof typeof MONEY_EFFECTS;

/** A template's text with its values. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}

const money = (c: ThreeWayCase, minor: bigint | null) => (minor === null ? '?' : `${formatAmount(minor)}${c.currency ? ` ${c.currency}` : ''}`);

/** The values the templates of an item may name. */
function valuesOf(c: ThreeWayCase): Record<string, string> {
  return {
    state: c.hubState ?? '—', n: String(Math.max(c.providerListings, c.agentListings)), txn: c.agentTxnId?.toString() ?? '—', reference: c.reference ?? '—',
    ref: (c.class === 'status_mismatch' ? c.providerRef : c.hubProviderRef) ?? '—', amount: money(c, c.hubAmountMinor),
    agentAmount: money(c, c.agentAmountMinor), providerAmount: money(c, c.providerAmountMinor),
  };
}

interface Choice {
  action: CaseAction;
  alternatives?: CaseMoneyAction[];
  why: ExplanationKey;
  effect?: MoneyEffectKey;
}

/** The proposed action for an item, given whether its provider can cancel payments. */
export function proposalFor(c: ThreeWayCase, reversible: boolean): CaseProposal {
  const choice = choose(c, reversible);
  const values = valuesOf(c);
  const effect = choice.effect ?? 'none';
  return {
    action: choice.action, alternatives: choice.alternatives ?? [], reason: { key: choice.why, effect, values },
    explanation: fillTemplate(EXPLANATIONS[choice.why], values), moneyEffect: fillTemplate(MONEY_EFFECTS[effect], values),
  };
}

function choose(c: ThreeWayCase, reversible: boolean): Choice {
  switch (c.class) {
    case 'matched':
      return { action: 'none', why: c.hubState === 'succeeded' || c.hubState === null ? 'matched' : 'matched_unpaid' };
    case 'duplicate_at_provider':
      return { action: 'none', why: 'duplicate_at_provider' };
    case 'duplicate_at_agent':
      return { action: 'none', why: 'duplicate_at_agent' };
    case 'missing_at_hub':
      return { action: 'none', why: c.providerListings > 0 ? 'unknown_reference' : 'unknown_agent_payment' };
    case 'status_mismatch':
      return statusMismatch(c, reversible);
    case 'amount_mismatch':
      return amountMismatch(c, reversible);
    case 'missing_at_provider':
      return { action: 'pay_provider', alternatives: ['refund_agent'], why: 'lost_by_provider', effect: 'pay_provider' };
    case 'missing_at_agent':
      return { action: 'none', why: 'not_in_agent_registry' };
  }
}

function statusMismatch(c: ThreeWayCase, reversible: boolean): Choice {
  const open = c.hubState === 'accepted' || c.hubState === 'waiting';
  if (c.hubState === 'succeeded') return { action: 'none', alternatives: reversible ? ['reverse_at_provider'] : ['refund_agent'], why: 'agent_says_unpaid' };
  if (c.providerListings > 0 && (open || c.hubState === 'failed') && c.agentPaid !== false) {
    return { action: 'mark_paid', alternatives: open ? ['refund_agent'] : [], why: 'provider_has_it', effect: 'agent_charged' };
  }
  if (c.providerListings > 0) return { action: 'none', why: 'provider_keeps_unpaid' };
  return { action: 'none', why: open ? 'hub_resolving' : 'hub_did_not_pay' };
}

function amountMismatch(c: ThreeWayCase, reversible: boolean): Choice {
  const providerDiffers = c.providerListings === 1 && c.providerAmountMinor !== c.hubAmountMinor;
  if (!providerDiffers) return { action: 'none', why: 'agent_amount' };
  if (reversible && c.dueAtProvider) return { action: 'reverse_at_provider', why: 'provider_amount_reverse', effect: 'agent_back' };
  return { action: 'none', why: 'provider_amount_fix' };
}

/** Why a money action does not fit the payment's state now, or null. */
function caseActionRefusal(action: CaseMoneyAction, c: ThreeWayCase, state: string, paidAt: Date | null): string | null {
  const open = state === 'accepted' || state === 'waiting';
  switch (action) {
    case 'pay_provider':
    case 'reverse_at_provider':
      return state === 'succeeded' ? null : `payment ${c.paymentId} is ${state} now: only a succeeded payment can be ${action === 'pay_provider' ? 'sent again' : 'reversed'}`;
    case 'refund_agent':
      return state === 'succeeded' || open ? null : `payment ${c.paymentId} is ${state} now: nothing to refund`;
    case 'mark_paid':
      if (!c.providerRef) return 'the provider\'s registry gave no reference for it: mark it paid from the attention list with the provider\'s reference';
      return open || (state === 'failed' && paidAt !== null) ? null : `payment ${c.paymentId} is ${state} now: it cannot be marked paid`;
  }
}

export interface CaseActionInput {
  action: CaseMoneyAction;
  note: string;
}

/** Proposes the money action of an item (the proposed one or an alternative); a different operator approves it. */
export async function proposeCaseAction(db: Db, engine: PaymentEngine, maker: Actor, caseId: bigint, input: CaseActionInput, clock: Clock): Promise<MoneyProposal> {
  const note = input.note.trim();
  if (!note) throw new ServiceError('invalid', 'no_note', 'a money movement needs a reason');
  if (note.length > 500) throw new ServiceError('invalid', 'reason_too_long', 'a reason has at most 500 characters');
  const who = party(maker.principal);
  const found = await findCase(db, caseId);
  if (!found) throw new ServiceError('not_found', 'case_not_found', `reconciliation item ${caseId} not found`);
  const proposal = proposalFor(found, found.serviceId !== null && (await engine.providerCancels(found.serviceId)));
  if (input.action !== proposal.action && !proposal.alternatives.includes(input.action)) {
    throw new ServiceError('conflict', 'action_not_fitting', `${input.action} does not answer this item (proposed: ${[proposal.action, ...proposal.alternatives].join(', ')})`);
  }
  const payment = found.paymentId === null ? undefined : await engine.get(found.paymentId);
  if (!payment) throw new ServiceError('conflict', 'action_not_fitting', 'the item names no payment of the hub');
  const refusal = caseActionRefusal(input.action, found, payment.state, payment.paidAt);
  if (refusal) throw new ServiceError('conflict', 'action_not_fitting', refusal);
  return db.tx(async (q) => {
    const inserted = await q.query<ProposalRow>(
      `INSERT INTO money_proposals (kind, agent_id, amount_minor, currency, reason, maker_id, maker_login, created_at, payment_id, provider_ref, recon_case_id)
       SELECT $1, p.agent_id, p.amount_to_minor, p.currency, $2, $3, $4, $5, p.id, $6, $7 FROM payments p
        WHERE p.id = $8 AND NOT EXISTS (SELECT 1 FROM money_proposals WHERE payment_id = $8 AND state IN ('proposed', 'executing'))
       ON CONFLICT DO NOTHING RETURNING *`,
      [PROPOSAL_KIND[input.action], note, who.id, who.login, clock.now(), input.action === 'mark_paid' ? found.providerRef : null, caseId, found.paymentId],
    );
    if (!inserted.rows[0]) throw new ServiceError('conflict', 'open_proposal', `payment ${found.paymentId} already has an open proposal: approve or reject it first`);
    const made = toProposal(inserted.rows[0]);
    await appendAudit(q, maker, { action: 'proposals.propose', targetKind: 'proposal', targetId: made.id, after: { ...made, reconciliation: { caseId, class: found.class, action: input.action } } }, clock);
    return made;
  });
}

/** Records what was done about an item whose action moves no money (who corrects which book, and that they were told). */
export async function acknowledgeCase(db: Db, actor: Actor, caseId: bigint, note: string, clock: Clock): Promise<ThreeWayCase> {
  const text = note.trim();
  if (!text) throw new ServiceError('invalid', 'no_note', 'say what was done about it');
  if (text.length > 500) throw new ServiceError('invalid', 'reason_too_long', 'a note has at most 500 characters');
  const by = actor.principal.kind === 'operator' ? actor.principal.login : actor.principal.kind;
  return db.tx(async (q) => {
    const found = await findCase(q, caseId, true);
    if (!found) throw new ServiceError('not_found', 'case_not_found', `reconciliation item ${caseId} not found`);
    if (found.acknowledgedAt) throw new ServiceError('conflict', 'already_resolved', `reconciliation item ${caseId} is already acknowledged`);
    await q.query('UPDATE reconciliation_cases SET acknowledged_at = $2, acknowledged_by = $3, acknowledgement = $4 WHERE id = $1', [caseId, clock.now(), by, text]);
    await appendAudit(q, actor, { action: 'reconciliation.acknowledge', targetKind: 'reconciliation', targetId: found.runId, after: { caseId, class: found.class, note: text } }, clock);
    return (await findCase(q, caseId))!;
  });
}

/** The proposals made for a run's items, by item (the latest first), for the run's page. */
export async function caseProposals(db: Db, runId: bigint): Promise<Map<string, MoneyProposal[]>> {
  const result = await db.query<ProposalRow>(
    `SELECT m.* FROM money_proposals m JOIN reconciliation_cases c ON c.id = m.recon_case_id WHERE c.run_id = $1 ORDER BY m.id DESC`, [runId]);
  const byCase = new Map<string, MoneyProposal[]>();
  for (const row of result.rows) {
    const key = String(row.recon_case_id);
    byCase.set(key, [...(byCase.get(key) ?? []), toProposal(row)]);
  }
  return byCase;
}
