-- Reconciliation of a provider's business day (first user: Alseco, "Сверка платежей") and the provider's settlement
-- statement of the day (Alseco GetReport108e). Written by src/engine/reconcile.ts.
CREATE TABLE reconciliation_runs (
  id                    bigserial PRIMARY KEY,
  provider              text NOT NULL,
  business_day          date NOT NULL,
  status                text NOT NULL CHECK (status IN ('running', 'clean', 'mismatches', 'failed')),
  tolem_count           integer NOT NULL DEFAULT 0,
  provider_count        integer NOT NULL DEFAULT 0,
  matched_count         integer NOT NULL DEFAULT 0,
  mismatch_count        integer NOT NULL DEFAULT 0,
  tolem_total_minor     bigint NOT NULL DEFAULT 0,
  provider_total_minor  bigint NOT NULL DEFAULT 0,
  confirmed             boolean NOT NULL DEFAULT false,
  confirmation          text,
  error                 text,
  started_at            timestamptz NOT NULL DEFAULT now(),
  finished_at           timestamptz
);
CREATE INDEX reconciliation_runs_day ON reconciliation_runs (provider, business_day, id);

CREATE TABLE reconciliation_items (
  id                     bigserial PRIMARY KEY,
  run_id                 bigint NOT NULL REFERENCES reconciliation_runs(id) ON DELETE CASCADE,
  kind                   text NOT NULL CHECK (kind IN ('matched', 'missing_at_provider', 'missing_at_tolem', 'amount_mismatch')),
  reference              text NOT NULL,
  payment_id             bigint,
  provider_ref           text,
  account                text,
  tolem_state            text,
  tolem_amount_minor     bigint,
  provider_amount_minor  bigint,
  action                 text NOT NULL
);
CREATE INDEX reconciliation_items_run ON reconciliation_items (run_id, kind);

CREATE TABLE settlement_statements (
  id            bigserial PRIMARY KEY,
  provider      text NOT NULL,
  business_day  date NOT NULL,
  status        text NOT NULL CHECK (status IN ('imported', 'empty', 'failed')),
  message       text NOT NULL DEFAULT '',
  total_minor   bigint NOT NULL DEFAULT 0,
  imported_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (provider, business_day)
);

CREATE TABLE settlement_lines (
  statement_id   bigint NOT NULL REFERENCES settlement_statements(id) ON DELETE CASCADE,
  line_no        integer NOT NULL,
  service_code   text NOT NULL,
  amount_minor   bigint NOT NULL,
  payee_name     text,
  payee_bin      text,
  payee_account  text,
  purpose        text,
  details        jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (statement_id, line_no)
);
