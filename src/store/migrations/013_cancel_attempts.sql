-- No reversal stays stuck or is sent twice: a cancel sent to a provider is recorded here, and committed, before the
-- request leaves, like a pay or a charge (migration 008). A cancel attempt whose outcome is not known — never answered
-- (the hub died), or answered with nothing final (a timeout, a 5xx) — is never repeated blindly: the provider's status
-- is asked first, by the next cancel of the payment or by the reversal-recovery job (engine/reversal-recovery.ts).
ALTER TABLE outbound_attempts DROP CONSTRAINT outbound_attempts_kind_check;
ALTER TABLE outbound_attempts ADD CONSTRAINT outbound_attempts_kind_check CHECK (kind IN ('pay', 'charge', 'cancel'));

-- A cancel's: when what it did became known (its own final answer, or a status query since); NULL while unknown.
-- Pay and charge attempts keep their rule (any earlier attempt of a payment still being driven means "ask first").
ALTER TABLE outbound_attempts ADD COLUMN resolved_at timestamptz;
-- Status queries made about an unresolved cancel, and when the next one is due (back-off; database time, like leases).
ALTER TABLE outbound_attempts ADD COLUMN checks integer NOT NULL DEFAULT 0;
ALTER TABLE outbound_attempts ADD COLUMN next_check_at timestamptz;
-- Why the cancel was asked for: recovery completes the cancellation with the reason it was started with.
ALTER TABLE outbound_attempts ADD COLUMN reason text;
CREATE INDEX outbound_attempts_open_cancels ON outbound_attempts (started_at) WHERE kind = 'cancel' AND resolved_at IS NULL;

-- When a reversal was claimed (database time): one still executing past the recovery bound is taken up by the job.
ALTER TABLE money_proposals ADD COLUMN executing_since timestamptz;
UPDATE money_proposals SET executing_since = now() WHERE state = 'executing';

-- A reversal executing while this migration runs may have reached its provider and left no record: count its cancel
-- as attempted with its outcome unknown, so that recovery asks the provider's status before anything else.
INSERT INTO outbound_attempts (payment_id, partner, kind, started_at, reason)
  SELECT m.payment_id, p.provider, 'cancel', now(), m.reason
    FROM money_proposals m JOIN payments p ON p.id = m.payment_id
   WHERE m.state = 'executing' AND m.kind = 'reverse' AND p.state = 'succeeded';
