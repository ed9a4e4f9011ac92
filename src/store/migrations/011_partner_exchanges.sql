-- What an operator reads on a payment's page (issue 10, the payment timeline): every message exchanged with a partner
-- about it, and every change of its state. Both are written by the engine for this purpose; neither decides anything.

-- One HTTP exchange with a partner: outbound (a provider or acquirer call, recorded around `httpRequest`) or inbound
-- (an agent's or the Elsom wallet's request and our answer). Bodies and headers are stored as sent and received with
-- secrets masked (engine/masking.ts), each cut at 64 KiB (`*_truncated`); the URL keeps no query secrets either.
CREATE TABLE partner_exchanges (
  id                 bigserial PRIMARY KEY,
  payment_id         bigint REFERENCES payments(id),   -- NULL: a call for no stored payment (a refused check, a lookup)
  order_id           bigint REFERENCES checkout_orders(id),  -- a checkout order's acquirer call
  partner            text NOT NULL,                   -- alseco, sandbox-mobile, assist, elsom, agent:4, elsom-biller
  direction          text NOT NULL CHECK (direction IN ('outbound', 'inbound')),
  operation          text NOT NULL,                   -- check, pay, status, cancel, start, capture, release, …
  method             text NOT NULL,
  url                text NOT NULL,
  request_headers    jsonb NOT NULL DEFAULT '{}',
  request_body       text,
  request_truncated  boolean NOT NULL DEFAULT false,
  outcome            text NOT NULL CHECK (outcome IN ('response', 'timeout', 'network', 'too_large')),
  response_status    integer,
  response_headers   jsonb NOT NULL DEFAULT '{}',
  response_body      text,
  response_truncated boolean NOT NULL DEFAULT false,
  error              text,                            -- the transport failure (network), never a body
  started_at         timestamptz NOT NULL,            -- from the hub's clock, like every other business time
  duration_ms        integer NOT NULL CHECK (duration_ms >= 0)
);
CREATE INDEX partner_exchanges_payment ON partner_exchanges (payment_id, started_at) WHERE payment_id IS NOT NULL;
CREATE INDEX partner_exchanges_order ON partner_exchanges (order_id, started_at) WHERE order_id IS NOT NULL;
-- The dashboard's partner health reads the last hour of every partner's calls.
CREATE INDEX partner_exchanges_started ON partner_exchanges (started_at);

-- Every change of a payment's state, written in the same transaction as the change (engine/payment-events.ts).
CREATE TABLE payment_events (
  id          bigserial PRIMARY KEY,
  payment_id  bigint NOT NULL REFERENCES payments(id),
  at          timestamptz NOT NULL,
  from_state  text,                                   -- NULL: the payment was created in to_state
  to_state    text NOT NULL,
  result_code integer NOT NULL,
  note        text
);
CREATE INDEX payment_events_payment ON payment_events (payment_id, id);

-- Payments made before this migration have no history: their current state is their one known event.
INSERT INTO payment_events (payment_id, at, from_state, to_state, result_code, note)
  SELECT id, COALESCE(status_at, updated_at), NULL, state, result_code, 'state before the history was kept'
    FROM payments ORDER BY id;
