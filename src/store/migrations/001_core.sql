-- Core hub: ledger, agents and their credentials, catalog, payments, attention list.
-- Money is bigint minor units everywhere; a ledger account's balance is only ever changed with a transfer.

CREATE TABLE ledger_accounts (
  id              bigserial PRIMARY KEY,
  code            text NOT NULL UNIQUE,           -- e.g. agent:4, provider:sandbox-mobile:KZT, funding:KZT
  kind            text NOT NULL CHECK (kind IN ('agent', 'provider', 'funding', 'acquirer', 'correction')),
  currency        text NOT NULL,
  debits_posted   bigint NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
  credits_posted  bigint NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
  debits_pending  bigint NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
  credits_pending bigint NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
  created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ledger_transfers (
  id                bigserial PRIMARY KEY,
  -- single: posted at once; pending: a reservation; post / void: resolve exactly one pending transfer.
  kind              text NOT NULL CHECK (kind IN ('single', 'pending', 'post', 'void')),
  debit_account_id  bigint NOT NULL REFERENCES ledger_accounts(id),
  credit_account_id bigint NOT NULL REFERENCES ledger_accounts(id),
  amount_minor      bigint NOT NULL CHECK (amount_minor > 0),
  currency          text NOT NULL,
  pending_id        bigint REFERENCES ledger_transfers(id),
  reason            text NOT NULL,
  payment_id        bigint,
  created_at        timestamptz NOT NULL DEFAULT now(),
  CHECK (debit_account_id <> credit_account_id),
  CHECK ((kind IN ('post', 'void')) = (pending_id IS NOT NULL))
);
-- A reservation is posted or voided once, never both, never twice: the database says so, not the code.
CREATE UNIQUE INDEX ledger_transfers_resolve_once ON ledger_transfers (pending_id) WHERE pending_id IS NOT NULL;
CREATE INDEX ledger_transfers_payment ON ledger_transfers (payment_id) WHERE payment_id IS NOT NULL;

CREATE TABLE agents (
  id                  bigserial PRIMARY KEY,
  name                text NOT NULL,
  currency            text NOT NULL,
  ledger_account_id   bigint NOT NULL UNIQUE REFERENCES ledger_accounts(id),
  -- The balance level at which acceptance stops (spec: "overdraft"); negative values extend credit.
  overdraft_minor     bigint NOT NULL DEFAULT 0,
  notification_minor  bigint,
  ip_allow            text[] NOT NULL DEFAULT '{}',
  ip_only             boolean NOT NULL DEFAULT false,
  allowed_services    text[],                     -- NULL: every enabled service
  enabled             boolean NOT NULL DEFAULT true,
  below_notification  boolean NOT NULL DEFAULT false,
  created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agent_tokens (
  id           bigserial PRIMARY KEY,
  agent_id     bigint NOT NULL REFERENCES agents(id),
  token_sha256 text NOT NULL UNIQUE,
  hint         text NOT NULL,                     -- first characters, to tell tokens apart in lists
  status       text NOT NULL CHECK (status IN ('pending', 'confirmed', 'revoked')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  confirmed_at timestamptz,
  revoked_at   timestamptz
);

CREATE TABLE agent_events (
  id         bigserial PRIMARY KEY,
  agent_id   bigint NOT NULL REFERENCES agents(id),
  kind       text NOT NULL,
  details    jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE services (
  service_id     text PRIMARY KEY,
  type           smallint NOT NULL CHECK (type IN (0, 1, 2)),
  name           text NOT NULL,
  group_name     text,
  country        text,
  currency       text NOT NULL,
  fixed_payment  boolean NOT NULL DEFAULT false,
  inputs         jsonb NOT NULL DEFAULT '[]',
  displays       jsonb NOT NULL DEFAULT '[]',
  min_minor      bigint NOT NULL DEFAULT 1,
  max_minor      bigint NOT NULL,
  fee_rule       jsonb NOT NULL DEFAULT '{"kind":"none"}',
  enabled        boolean NOT NULL DEFAULT true,
  provider       text NOT NULL,
  provider_config jsonb NOT NULL DEFAULT '{}',
  created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE SEQUENCE payment_id_seq START WITH 100000000000000001 MAXVALUE 999999999999999999;

CREATE TABLE payments (
  id                   bigint PRIMARY KEY DEFAULT nextval('payment_id_seq'),  -- transactionId (18 digits)
  agent_id             bigint NOT NULL REFERENCES agents(id),
  agent_txn_id         bigint NOT NULL,
  service_id           text NOT NULL REFERENCES services(service_id),
  account              text NOT NULL,
  currency             text NOT NULL,
  amount_to_minor      bigint,
  amount_from_minor    bigint,
  agent_txn_date       text,
  request              json NOT NULL DEFAULT '{}',   -- normalised extras, extraServices, identity
  check_hash           text,
  pay_hash             text,
  state                text NOT NULL CHECK (state IN ('checked', 'check_failed', 'waiting', 'accepted', 'succeeded', 'failed')),
  result_code          integer NOT NULL,
  result_message       text NOT NULL,
  provider             text NOT NULL,
  provider_data        json,                         -- displays / contracts / invoice / conversion from check
  provider_ref         text,
  provider_outcome     text,                         -- last outcome seen: unknown, pending, …
  reservation_id       bigint REFERENCES ledger_transfers(id),
  attempts             integer NOT NULL DEFAULT 0,
  next_attempt_at      timestamptz,
  lease_until          timestamptz,
  paid_at              timestamptz,                  -- transactionDate: when the pay was accepted
  status_at            timestamptz,                  -- statusDate: when it became final
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  -- One agent, one agentTransactionId: concurrent duplicates meet this constraint, not a read-then-write race.
  UNIQUE (agent_id, agent_txn_id)
);
CREATE INDEX payments_unfinished ON payments (next_attempt_at) WHERE state IN ('waiting', 'accepted');
CREATE INDEX payments_provider_day ON payments (provider, status_at) WHERE state = 'succeeded';

CREATE TABLE attention_items (
  id          bigserial PRIMARY KEY,
  payment_id  bigint REFERENCES payments(id),
  kind        text NOT NULL,        -- unresolved, refused_after_commit, refund, …
  reason      text NOT NULL,
  details     jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz,
  resolution  text
);
CREATE UNIQUE INDEX attention_open_once ON attention_items (payment_id, kind) WHERE resolved_at IS NULL;

CREATE TABLE mnp_prefixes (
  prefix     text PRIMARY KEY,
  service_id text NOT NULL REFERENCES services(service_id)
);

CREATE TABLE mnp_ported (
  phone      text PRIMARY KEY,
  service_id text NOT NULL REFERENCES services(service_id),
  ported_at  timestamptz NOT NULL DEFAULT now()
);
