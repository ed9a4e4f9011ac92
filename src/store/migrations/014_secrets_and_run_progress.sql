-- Second factor (engine/operators.ts, engine/secrets.ts): operators.totp_secret now holds the secret sealed with
-- AES-256-GCM under the hub's secrets key ("sealed:v1:…"); secrets stored in clear before this migration are sealed at
-- the next start (a clear value is still read until then, so nobody is locked out). The last time step a code was
-- accepted for is kept, so a code is accepted once: a login whose step is not above it is refused.
ALTER TABLE operators ADD COLUMN totp_last_step bigint;

-- Reconciliation progress in the run's row (engine/reconciliation-runs.ts), so every instance on the store sees a run
-- another one started: items classified of all, the phase, and a heartbeat (the database's now(), like leases). A
-- running run whose heartbeat stopped reads as interrupted; a new run of its day marks it so.
ALTER TABLE reconciliation_runs ADD COLUMN progress_done integer NOT NULL DEFAULT 0;
ALTER TABLE reconciliation_runs ADD COLUMN progress_total integer NOT NULL DEFAULT 0;
ALTER TABLE reconciliation_runs ADD COLUMN phase text CHECK (phase IN ('listing', 'classifying', 'finishing'));
ALTER TABLE reconciliation_runs ADD COLUMN heartbeat_at timestamptz;
ALTER TABLE reconciliation_runs DROP CONSTRAINT reconciliation_runs_status_check;
ALTER TABLE reconciliation_runs ADD CONSTRAINT reconciliation_runs_status_check
  CHECK (status IN ('running', 'clean', 'mismatches', 'failed', 'interrupted'));
