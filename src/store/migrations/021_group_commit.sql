-- Group commit (performance issue): concurrent pays are accepted, and concurrent successes settled, many in one
-- statement — one round trip and one commit for the batch, each payment with its own result. The engine gathers the
-- calls that arrive while the previous batch is in the database (engine/payments.ts, store/batcher.ts).
--
-- Both functions first lock every agent balance row the batch touches, in id order, as every single transfer does
-- (ledger_apply locks its cached accounts in id order): two batches, or a batch and a single pay, never deadlock.
-- Then each payment is handled in the order the engine gave (the order the pays arrived), through ledger_apply, so
-- the ledger's rules (currency, accounts, the floor checked against every reservation before it) stay in one place.
-- A payment the batch cannot take — a concurrent duplicate already paid, funds that would cross the floor, a ledger
-- refusal — is left untouched and not returned: the engine takes it the long way, one transaction of its own, which
-- answers the repeat, parks it as waiting (220) or raises the refusal.
--
-- The timeline entry of each change is written as notingState (engine/payment-events.ts) writes it: from the state
-- last recorded, skipped when the state did not change, the note being the row's result message.

-- The timeline entry of a payment's new state (as notingState writes it): from the state last recorded, none when
-- the state did not change.
CREATE FUNCTION note_payment_state(p payments, p_at timestamptz) RETURNS void LANGUAGE sql AS $$
  INSERT INTO payment_events (payment_id, at, from_state, to_state, result_code, note)
  SELECT p.id, p_at, last.state, p.state, p.result_code, left(p.result_message, 500)
    FROM (SELECT (SELECT to_state FROM payment_events WHERE payment_id = p.id ORDER BY id DESC LIMIT 1) AS state) last
   WHERE last.state IS DISTINCT FROM p.state
$$;

-- Items: [{agent, txn, amountTo, amountFrom, txnDate, request, payHash, mustComplete, providerData, agentReference,
--          leaseOwner, debit, credit, floor, partner}], ids and amounts as decimal strings, request and providerData as
-- JSON text (stored as sent). Returns the payments accepted, leased and reserved, with their pay attempt recorded.
CREATE FUNCTION accept_checked_pays(p_items jsonb, p_at timestamptz, p_lease_ms bigint) RETURNS SETOF payments
LANGUAGE plpgsql AS $$
DECLARE
  item jsonb;
  target record;
  applied record;
  reservation bigint;
  done payments%ROWTYPE;
BEGIN
  PERFORM 1 FROM ledger_accounts
    WHERE cached AND id IN (SELECT (e->>'debit')::bigint FROM jsonb_array_elements(p_items) e
                            UNION SELECT (e->>'credit')::bigint FROM jsonb_array_elements(p_items) e)
    ORDER BY id FOR UPDATE;
  FOR item IN SELECT e FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(e, n) ORDER BY n LOOP
    SELECT id, currency INTO target FROM payments
      WHERE agent_id = (item->>'agent')::bigint AND agent_txn_id = (item->>'txn')::bigint
        AND pay_hash IS NULL AND state IN ('checked', 'check_failed')
      -- Not FOR UPDATE: that would also block the key-share locks of rows referring to the payment (the exchanges
      -- journal's multi-row INSERTs take them in their own order), and a batch holding several payments would deadlock
      -- with them. The UPDATE below takes this same lock.
      FOR NO KEY UPDATE;
    CONTINUE WHEN NOT FOUND;
    reservation := nextval(pg_get_serial_sequence('ledger_transfers', 'id'));
    SELECT * INTO applied FROM ledger_apply('pending', (item->>'debit')::bigint, (item->>'credit')::bigint,
      (item->>'amountTo')::bigint, target.currency, NULL, 'payment ' || target.id, target.id, p_at,
      (item->>'floor')::bigint, reservation);
    CONTINUE WHEN applied.error IS NOT NULL;
    UPDATE payments SET amount_to_minor = (item->>'amountTo')::bigint, amount_from_minor = (item->>'amountFrom')::bigint,
           agent_txn_date = COALESCE(item->>'txnDate', agent_txn_date), request = (item->>'request')::json,
           pay_hash = item->>'payHash', must_complete = (item->>'mustComplete')::boolean,
           provider_data = COALESCE((item->>'providerData')::json, provider_data),
           state = 'accepted', result_code = 1, result_message = 'in processing', paid_at = p_at,
           agent_reference = COALESCE(agent_reference, item->>'agentReference'), updated_at = now(),
           attempts = attempts + 1, lease_until = now() + p_lease_ms * interval '1 millisecond',
           lease_owner = item->>'leaseOwner', next_attempt_at = now() + p_lease_ms * interval '1 millisecond',
           reservation_id = reservation
     WHERE id = target.id
     RETURNING * INTO done;
    INSERT INTO outbound_attempts (payment_id, partner, kind, started_at) VALUES (done.id, item->>'partner', 'pay', clock_timestamp());
    PERFORM note_payment_state(done, p_at);
    RETURN NEXT done;
  END LOOP;
END
$$;

-- Items: [{id, code, message, providerRef, payAnswer}]. Each payment still accepted becomes succeeded: its timeline
-- entry, the attention items a success settles (p_settled_kinds) closed, its pay attempt answered (payAnswer given)
-- and its reservation posted. A ledger refusal raises, undoing the whole batch; the engine then settles each payment
-- alone, so that the refusal is only that payment's. Returns the payments settled.
CREATE FUNCTION settle_succeeded_pays(p_items jsonb, p_at timestamptz, p_settled_kinds text[]) RETURNS SETOF payments
LANGUAGE plpgsql AS $$
DECLARE
  item jsonb;
  done payments%ROWTYPE;
BEGIN
  PERFORM 1 FROM ledger_accounts
    WHERE cached AND id IN (
      SELECT unnest(ARRAY[t.debit_account_id, t.credit_account_id])
        FROM jsonb_array_elements(p_items) e
        JOIN payments p ON p.id = (e->>'id')::bigint
        JOIN ledger_transfers t ON t.id = p.reservation_id)
    ORDER BY id FOR UPDATE;
  FOR item IN SELECT e FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(e, n) ORDER BY n LOOP
    UPDATE payments SET state = 'succeeded', result_code = (item->>'code')::integer, result_message = item->>'message',
           provider_ref = COALESCE(item->>'providerRef', provider_ref), provider_outcome = 'paid', status_at = p_at,
           lease_until = NULL, next_attempt_at = NULL, updated_at = now()
     WHERE id = (item->>'id')::bigint AND state = 'accepted'
     RETURNING * INTO done;
    CONTINUE WHEN NOT FOUND;
    PERFORM note_payment_state(done, p_at);
    UPDATE attention_items SET resolved_at = p_at, resolution = 'settled by the system: succeeded (' || done.result_code || ')'
     WHERE payment_id = done.id AND kind = ANY (p_settled_kinds) AND resolved_at IS NULL;
    IF item->>'payAnswer' IS NOT NULL THEN
      UPDATE outbound_attempts SET answered_at = now(), outcome = left(item->>'payAnswer', 200)
       WHERE payment_id = done.id AND kind = 'pay' AND answered_at IS NULL;
    END IF;
    IF done.reservation_id IS NOT NULL THEN
      PERFORM ledger_resolve('post', done.reservation_id, 'payment ' || done.id || ' succeeded', p_at);
    END IF;
    RETURN NEXT done;
  END LOOP;
END
$$;
