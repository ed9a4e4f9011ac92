-- A pay's reservation as the last statement of its acceptance (performance issue): the payment row is already
-- accepted and leased by the statement before; this one call reserves the agent's funds (ledger_apply, migration 016,
-- with the agent's floor), links the reservation to the payment and records the provider call about to leave
-- (outbound_attempts: ask before you pay). The agent's balance row is locked here, so between the lock and the commit
-- there is only the COMMIT itself: a hot agent's pays queue for microseconds inside the database, not for our round trips.
CREATE FUNCTION reserve_payment(
  p_payment bigint, p_debit bigint, p_credit bigint, p_amount bigint, p_currency text, p_reason text, p_at timestamptz,
  p_floor bigint, p_partner text
) RETURNS TABLE (transfer_id bigint, error text) LANGUAGE plpgsql AS $$
DECLARE
  applied record;
BEGIN
  SELECT * INTO applied FROM ledger_apply('pending', p_debit, p_credit, p_amount, p_currency, NULL, p_reason, p_payment, p_at, p_floor);
  IF applied.error IS NULL THEN
    UPDATE payments SET reservation_id = applied.transfer_id WHERE id = p_payment;
    INSERT INTO outbound_attempts (payment_id, partner, kind, started_at) VALUES (p_payment, p_partner, 'pay', clock_timestamp());
  END IF;
  RETURN QUERY SELECT applied.transfer_id, applied.error;
END
$$;
