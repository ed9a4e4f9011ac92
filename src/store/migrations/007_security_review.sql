-- Code 153 ("payment under security review", non-final): an agent may have a threshold above which an accepted pay
-- is held, funds reserved, until an operator approves (it is then paid) or rejects it (the reservation is voided).
ALTER TABLE payments DROP CONSTRAINT payments_state_check;
ALTER TABLE payments ADD CONSTRAINT payments_state_check
  CHECK (state IN ('checked', 'check_failed', 'waiting', 'review', 'accepted', 'succeeded', 'failed', 'cancelled'));
ALTER TABLE agents ADD COLUMN review_above_minor bigint;
ALTER TABLE payments ADD COLUMN review_note text;
