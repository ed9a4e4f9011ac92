-- Streamed reconciliation (performance issue, item 6): the provider's registry of a day is staged here in batches as it
-- arrives, then classified against the hub's payments by one FULL OUTER JOIN on the server (engine/reconcile.ts), so
-- that no process ever holds a day in memory. One row per listed reference and run; the run deletes its rows when it
-- ends, and a later run sweeps what a run that died left behind. UNLOGGED: the rows are transient by design (a crash
-- empties the table, and the run it served is read as interrupted anyway), and not writing them to the WAL halves the
-- cost of staging a day of a million payments.
CREATE UNLOGGED TABLE reconciliation_staging (
  run_id        bigint NOT NULL,
  reference     text NOT NULL,
  -- The reference read as our transactionId when it is one (18 digits at most), for the join with payments.id.
  payment_id    bigint,
  provider_ref  text,
  amount_minor  bigint NOT NULL,
  account       text,
  PRIMARY KEY (run_id, reference)
);

-- A day of a million payments keeps its counts, not a million matched rows: matched items are stored one row each
-- only for days up to a bound (engine/reconcile.ts, MATCHED_ITEMS_STORED_UP_TO); false: only the differences are.
ALTER TABLE reconciliation_runs ADD COLUMN matched_items_stored boolean NOT NULL DEFAULT true;
