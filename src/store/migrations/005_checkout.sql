-- Web checkout: people pay the hub directly by card (Assist, two-stage) or Elsom wallet (merchant OTP).
-- The checkout is Tolem's own agent, one per currency; an order is one attempt to pay one checked transaction.
CREATE TABLE checkout_agents (
  currency   text PRIMARY KEY,
  agent_id   bigint NOT NULL REFERENCES agents(id),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE checkout_orders (
  id              bigserial PRIMARY KEY,              -- the checkout agent's agentTransactionId
  token           text NOT NULL UNIQUE,               -- unguessable: the only handle the browser ever sees
  agent_id        bigint NOT NULL REFERENCES agents(id),
  payment_id      bigint NOT NULL UNIQUE REFERENCES payments(id),  -- transactionId (Assist OrderNumber, Elsom PartnerTrnID)
  service_id      text NOT NULL REFERENCES services(service_id),
  account         text NOT NULL,
  extras          json NOT NULL DEFAULT '{}',
  lines           json,                               -- invoice lines chosen on the page (type 1 services)
  amount_minor    bigint CHECK (amount_minor > 0),
  currency        text NOT NULL,
  method          text CHECK (method IN ('card', 'elsom')),
  language        text NOT NULL DEFAULT 'ru',
  email           text,
  state           text NOT NULL CHECK (state IN ('checked', 'redirected', 'authorised', 'charging', 'releasing',
                    'succeeded', 'released', 'refund_due', 'declined', 'cancelled', 'expired', 'charge_failed', 'release_failed')),
  acquirer_ref    text,                               -- Assist billnumber / Elsom PSPTTrnID
  acquirer_state  text,                               -- the acquirer's last word, for operators
  payment_url     text,                               -- Elsom OTP page (a repeated submission goes back to it)
  message         text,
  hold_transfer_id   bigint REFERENCES ledger_transfers(id),
  return_transfer_id bigint REFERENCES ledger_transfers(id),
  attempts        integer NOT NULL DEFAULT 0,
  redirected_at   timestamptz,
  authorised_at   timestamptz,
  finished_at     timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CHECK ((state IN ('checked', 'redirected', 'declined', 'cancelled', 'expired')) OR hold_transfer_id IS NOT NULL)
);
CREATE INDEX checkout_orders_open ON checkout_orders (state) WHERE state IN ('redirected', 'authorised', 'charging', 'releasing');
