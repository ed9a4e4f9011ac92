-- Three-way reconciliation (issue 13, item 2): the agent's registry of a day (023), the hub's payments and the
-- providers' registries, classified in one pass on the server (engine/three-way.ts). A three-way run is a
-- reconciliation_runs row of mode 'three_way' (so the console's tracked runs, progress and heartbeat serve both kinds);
-- provider is the one provider reconciled, or '*' for every provider that can list its payments.
ALTER TABLE reconciliation_runs ADD COLUMN mode text NOT NULL DEFAULT 'two_way' CHECK (mode IN ('two_way', 'three_way'));
ALTER TABLE reconciliation_runs ADD COLUMN agent_id bigint REFERENCES agents(id);
ALTER TABLE reconciliation_runs ADD COLUMN agent_registry_id bigint REFERENCES agent_registries(id);
ALTER TABLE reconciliation_runs ADD COLUMN agent_count integer NOT NULL DEFAULT 0;
ALTER TABLE reconciliation_runs ADD COLUMN agent_total_minor bigint NOT NULL DEFAULT 0;

-- A run may stage several providers' registries: a reference is unique per provider, not per run. `listings` counts
-- the lines that named the reference (two or more: the provider lists the payment twice, duplicate_at_provider); the
-- two-way run keeps the last line as before.
ALTER TABLE reconciliation_staging ADD COLUMN provider text NOT NULL DEFAULT '';
ALTER TABLE reconciliation_staging ADD COLUMN listings integer NOT NULL DEFAULT 1;
ALTER TABLE reconciliation_staging DROP CONSTRAINT reconciliation_staging_pkey;
ALTER TABLE reconciliation_staging ADD PRIMARY KEY (run_id, provider, reference);

-- One classified item of a three-way run: what each of the three books says of one payment (or of one line that names
-- no payment of the hub). Differences are stored always; matched items only on days of at most 50,000 of them (the
-- run's row counts them). The proposed correcting action is derived from the stored facts when the item is read
-- (engine/three-way-actions.ts), so that it reflects what the provider can do today (cancel or not).
CREATE TABLE reconciliation_cases (
  id                      bigserial PRIMARY KEY,
  run_id                  bigint NOT NULL REFERENCES reconciliation_runs(id) ON DELETE CASCADE,
  class                   text NOT NULL CHECK (class IN ('matched', 'missing_at_agent', 'missing_at_hub', 'missing_at_provider',
                            'amount_mismatch', 'status_mismatch', 'duplicate_at_provider', 'duplicate_at_agent')),
  provider                text NOT NULL,
  payment_id              bigint,
  -- the provider's listed reference when the hub has no payment of it
  reference               text,
  agent_id                bigint,
  agent_txn_id            bigint,
  service_id              text,
  account                 text,
  currency                text,
  hub_state               text,
  hub_amount_minor        bigint,
  hub_provider_ref        text,
  agent_listings          integer NOT NULL DEFAULT 0,
  agent_amount_minor      bigint,
  agent_paid              boolean,
  provider_listings       integer NOT NULL DEFAULT 0,
  provider_amount_minor   bigint,
  provider_ref            text,
  -- in the provider's business day (the provider is due to list it) / in the agent's (the agent is due to list it)
  due_at_provider         boolean NOT NULL DEFAULT false,
  due_at_agent            boolean NOT NULL DEFAULT false,
  -- an item whose action moves no money is acknowledged by an operator with what was done (audited)
  acknowledged_at         timestamptz,
  acknowledged_by         text,
  acknowledgement         text
);
CREATE INDEX reconciliation_cases_run ON reconciliation_cases (run_id, class, id);

-- The actions of a three-way item go through the approvals like the attention list's: pay_provider (re-send a payment
-- the provider lost, under the same reference, after asking its status) joins the payment kinds; it moves no money in
-- the ledger (the provider's account was credited when the payment succeeded), so it never carries a transfer.
ALTER TABLE money_proposals DROP CONSTRAINT money_proposals_kind_check;
ALTER TABLE money_proposals ADD CONSTRAINT money_proposals_kind_check
  CHECK (kind IN ('topup', 'correction', 'mark_paid', 'reverse', 'refund', 'pay_provider'));
ALTER TABLE money_proposals ADD COLUMN recon_case_id bigint REFERENCES reconciliation_cases(id) ON DELETE SET NULL;
CREATE INDEX money_proposals_case ON money_proposals (recon_case_id) WHERE recon_case_id IS NOT NULL;
