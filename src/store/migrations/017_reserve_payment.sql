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

-- The same reservation inside the one statement that accepts a checked pay (engine/payments.ts acceptInOne): that
-- statement has already set the payment's reservation_id from the sequence, so this takes the id it is given, and a
-- refusal is raised — undoing the whole statement, the acceptance with it; the engine then accepts the pay the long
-- way, which parks it as waiting (SQLSTATE TL220: the agent's floor).
CREATE FUNCTION reserve_payment_as(
  p_id bigint, p_payment bigint, p_debit bigint, p_credit bigint, p_amount bigint, p_currency text, p_reason text,
  p_at timestamptz, p_floor bigint
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  applied record;
BEGIN
  SELECT * INTO applied FROM ledger_apply('pending', p_debit, p_credit, p_amount, p_currency, NULL, p_reason, p_payment, p_at, p_floor, p_id);
  IF applied.error = 'exceeds_floor' THEN
    RAISE EXCEPTION 'the reservation of payment % would cross the agent''s floor', p_payment USING ERRCODE = 'TL220';
  ELSIF applied.error IS NOT NULL THEN
    RAISE EXCEPTION 'the reservation of payment % was refused: %', p_payment, applied.error;
  END IF;
  RETURN applied.transfer_id;
END
$$;
