-- One round trip per ledger transfer (performance issue): the checks and writes that src/ledger/ledger.ts made as
-- three to five statements (load the pending transfer, lock the cached accounts, check currency and floor, insert the
-- transfer, update the cached totals) run inside the database as one call. Its rules are the ledger's, unchanged:
--   - a pending transfer is posted or voided at most once (also the unique index on pending_id);
--   - only accounts with cached totals (agents) are locked, in id order, so two transfers never deadlock and shared
--     accounts (providers, funding, acquirers) are never a queue;
--   - the debit account's floor, when given, is checked against its available balance (posted less pending debits).
-- A refusal is returned as an error code, not raised: the caller's transaction stays usable (a pay whose funds would
-- cross the floor is parked as waiting in the same transaction). `p_id`: the transfer's id when the caller took it
-- from the sequence already (a statement that links a payment to its reservation before the reservation exists).
CREATE FUNCTION ledger_apply(
  p_kind text, p_debit bigint, p_credit bigint, p_amount bigint, p_currency text, p_pending bigint,
  p_reason text, p_payment bigint, p_at timestamptz, p_floor bigint, p_id bigint DEFAULT NULL
) RETURNS TABLE (transfer_id bigint, error text) LANGUAGE plpgsql AS $$
DECLARE
  pending record;
  debit record;
  credit record;
  new_id bigint;
BEGIN
  IF p_kind IN ('post', 'void') THEN
    SELECT t.debit_account_id, t.credit_account_id, t.amount_minor, t.currency, t.payment_id,
           EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = t.id) AS resolved
      INTO pending FROM ledger_transfers t WHERE t.id = p_pending AND t.kind = 'pending' FOR UPDATE;
    IF NOT FOUND THEN
      RETURN QUERY SELECT NULL::bigint, 'pending_not_found'::text;
      RETURN;
    END IF;
    IF pending.resolved THEN
      RETURN QUERY SELECT NULL::bigint, 'already_resolved'::text;
      RETURN;
    END IF;
    p_debit := pending.debit_account_id;
    p_credit := pending.credit_account_id;
    p_amount := pending.amount_minor;
    p_currency := pending.currency;
    p_payment := pending.payment_id;
  END IF;

  PERFORM 1 FROM ledger_accounts WHERE id IN (p_debit, p_credit) AND cached ORDER BY id FOR UPDATE;
  SELECT id, currency, cached, debits_posted, credits_posted, debits_pending INTO debit FROM ledger_accounts WHERE id = p_debit;
  SELECT id, currency, cached INTO credit FROM ledger_accounts WHERE id = p_credit;
  IF debit.id IS NULL OR credit.id IS NULL OR p_debit = p_credit THEN
    RETURN QUERY SELECT NULL::bigint, 'account_not_found'::text;
    RETURN;
  END IF;
  IF debit.currency <> p_currency OR credit.currency <> p_currency THEN
    RETURN QUERY SELECT NULL::bigint, 'currency_mismatch'::text;
    RETURN;
  END IF;
  IF p_floor IS NOT NULL THEN
    IF NOT debit.cached THEN
      RETURN QUERY SELECT NULL::bigint, 'floor_needs_cached_account'::text;
      RETURN;
    END IF;
    IF debit.credits_posted - debit.debits_posted - debit.debits_pending - p_amount < p_floor THEN
      RETURN QUERY SELECT NULL::bigint, 'exceeds_floor'::text;
      RETURN;
    END IF;
  END IF;

  INSERT INTO ledger_transfers (id, kind, debit_account_id, credit_account_id, amount_minor, currency, pending_id, reason, payment_id, created_at)
  VALUES (COALESCE(p_id, nextval(pg_get_serial_sequence('ledger_transfers', 'id'))), p_kind, p_debit, p_credit, p_amount, p_currency,
          CASE WHEN p_kind IN ('post', 'void') THEN p_pending END, p_reason, p_payment, COALESCE(p_at, now()))
  RETURNING id INTO new_id;

  IF debit.cached THEN
    UPDATE ledger_accounts SET
      debits_posted = debits_posted + CASE WHEN p_kind IN ('single', 'post') THEN p_amount ELSE 0 END,
      debits_pending = debits_pending + CASE p_kind WHEN 'pending' THEN p_amount WHEN 'single' THEN 0 ELSE -p_amount END
     WHERE id = p_debit;
  END IF;
  IF credit.cached THEN
    UPDATE ledger_accounts SET
      credits_posted = credits_posted + CASE WHEN p_kind IN ('single', 'post') THEN p_amount ELSE 0 END,
      credits_pending = credits_pending + CASE p_kind WHEN 'pending' THEN p_amount WHEN 'single' THEN 0 ELSE -p_amount END
     WHERE id = p_credit;
  END IF;
  RETURN QUERY SELECT new_id, NULL::text;
END
$$;

-- The same for resolving a reservation inside a larger statement (a payment's final UPDATE posts its reservation in
-- the same statement, so that the agent's row is locked only inside the database, never across a round trip): a
-- refusal is raised, and the whole statement — the payment's final state with it — is undone.
CREATE FUNCTION ledger_resolve(p_kind text, p_pending bigint, p_reason text, p_at timestamptz) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  applied record;
BEGIN
  SELECT * INTO applied FROM ledger_apply(p_kind, NULL, NULL, NULL, NULL, p_pending, p_reason, NULL, p_at, NULL);
  IF applied.error IS NOT NULL THEN
    RAISE EXCEPTION 'ledger refused to % pending transfer %: %', p_kind, p_pending, applied.error;
  END IF;
  RETURN applied.transfer_id;
END
$$;
