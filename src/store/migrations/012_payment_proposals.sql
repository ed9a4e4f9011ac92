-- The attention list's money actions (issue 10): marking a payment paid with the provider's reference, reversing it at
-- the provider, refunding the agent. They are maker-checker like top-ups and corrections, so they extend
-- money_proposals rather than a sibling table: one approvals page, one claim-then-execute path, one history of every
-- movement of money. A payment proposal names its payment and the attention item it answers; agent_id, amount_minor
-- and currency are the payment's (so a listing reads the same for every kind).

ALTER TABLE money_proposals DROP CONSTRAINT money_proposals_kind_check;
ALTER TABLE money_proposals ADD CONSTRAINT money_proposals_kind_check
  CHECK (kind IN ('topup', 'correction', 'mark_paid', 'reverse', 'refund'));

-- 'executing': a reversal approved and claimed, its provider call running (the one state a second approval finds
-- while the first still talks to the provider); 'failed': approved, but the provider refused the cancellation.
ALTER TABLE money_proposals DROP CONSTRAINT money_proposals_state_check;
ALTER TABLE money_proposals ADD CONSTRAINT money_proposals_state_check
  CHECK (state IN ('proposed', 'executing', 'approved', 'rejected', 'failed'));

-- An approved top-up or correction is exactly one transfer; an approved payment action may move money by posting the
-- payment's reservation or voiding it (whose transfer is recorded too), so the rule stays for the balance kinds only.
ALTER TABLE money_proposals DROP CONSTRAINT money_proposals_check1;
ALTER TABLE money_proposals ADD CONSTRAINT money_proposals_balance_transfer
  CHECK (kind NOT IN ('topup', 'correction') OR (state = 'approved') = (transfer_id IS NOT NULL));

ALTER TABLE money_proposals ADD COLUMN payment_id bigint REFERENCES payments(id);
ALTER TABLE money_proposals ADD COLUMN attention_id bigint REFERENCES attention_items(id);
-- mark_paid: the provider's own reference of the payment, as the operator read it from the provider.
ALTER TABLE money_proposals ADD COLUMN provider_ref text;
ALTER TABLE money_proposals ADD CONSTRAINT money_proposals_payment_kinds
  CHECK ((kind IN ('topup', 'correction')) = (payment_id IS NULL));
ALTER TABLE money_proposals ADD CONSTRAINT money_proposals_mark_paid_ref
  CHECK (kind <> 'mark_paid' OR (provider_ref IS NOT NULL AND provider_ref <> ''));

-- One open action on a payment at a time: a mark_paid and a refund racing to approval would contradict each other.
CREATE UNIQUE INDEX money_proposals_open_payment ON money_proposals (payment_id) WHERE state IN ('proposed', 'executing');
