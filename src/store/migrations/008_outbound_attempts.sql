-- Ask before you pay: every outbound call that can move money (a provider pay, a card charge) is written here, and
-- committed, before the request leaves; its answer is written when it comes. A payment with any earlier attempt is
-- never sent blindly again: the partner is asked for the status first (partners promise no deduplication).
CREATE TABLE outbound_attempts (
  id          bigserial PRIMARY KEY,
  payment_id  bigint NOT NULL REFERENCES payments(id),
  partner     text NOT NULL,                 -- the provider route (sandbox-mobile, alseco) or the acquirer (assist)
  kind        text NOT NULL CHECK (kind IN ('pay', 'charge')),
  started_at  timestamptz NOT NULL DEFAULT now(),
  answered_at timestamptz,                   -- NULL: the caller never heard back (a crash, a hang)
  outcome     text                           -- what the answer meant: paid, declined, pending, unknown, …
);
CREATE INDEX outbound_attempts_payment ON outbound_attempts (payment_id, kind);

-- Leases name their holder, so that the holder can renew a short lease while its call runs and a crashed holder's
-- lease lapses within seconds (see docs/decisions.md, "Leases").
ALTER TABLE payments ADD COLUMN lease_owner text;
ALTER TABLE checkout_orders ADD COLUMN lease_until timestamptz;
ALTER TABLE checkout_orders ADD COLUMN lease_owner text;

-- Calls that may be in flight while this migration runs left no record: count them as attempted, answer unknown.
INSERT INTO outbound_attempts (payment_id, partner, kind, started_at)
  SELECT id, provider, 'pay', updated_at FROM payments WHERE state = 'accepted' AND attempts > 0;
INSERT INTO outbound_attempts (payment_id, partner, kind, started_at)
  SELECT payment_id, 'assist', 'charge', updated_at FROM checkout_orders WHERE state = 'charging';
