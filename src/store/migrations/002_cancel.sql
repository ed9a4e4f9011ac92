-- Cancellation (reversal) of payments, and payments that an agent already considers paid (Elsom: after five
-- unanswered PAYMENT retries), which are never dropped: a refusal after acceptance goes to the attention list.
ALTER TABLE payments DROP CONSTRAINT payments_state_check;
ALTER TABLE payments ADD CONSTRAINT payments_state_check
  CHECK (state IN ('checked', 'check_failed', 'waiting', 'accepted', 'succeeded', 'failed', 'cancelled'));
ALTER TABLE payments ADD COLUMN must_complete boolean NOT NULL DEFAULT false;
ALTER TABLE payments ADD COLUMN cancelled_at timestamptz;
ALTER TABLE payments ADD COLUMN cancel_reason text;
CREATE INDEX payments_agent_status_at ON payments (agent_id, status_at) WHERE state IN ('succeeded', 'cancelled');
