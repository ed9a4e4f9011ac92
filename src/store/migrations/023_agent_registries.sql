-- Agents' registries (engine/agent-registries.ts): the books of a business day an agent hands in as CSV, through the
-- admin API or its cabinet, for the three-way reconciliation (Tolem, provider, agent). A later upload of the same agent
-- and day supersedes the earlier one (the latest id wins); earlier ones stay, for the audit trail. Lines are stored
-- as listed, a repeated agentTransactionId included: the reconciliation reports it (duplicate_at_agent).
CREATE TABLE agent_registries (
  id            bigserial PRIMARY KEY,
  agent_id      bigint NOT NULL REFERENCES agents(id),
  business_day  date NOT NULL,
  source        text NOT NULL CHECK (source IN ('admin_api', 'cabinet')),
  uploaded_by   text NOT NULL,       -- operator login, 'local' (admin socket), or the cabinet user's login
  uploaded_at   timestamptz NOT NULL,
  line_count    integer NOT NULL,
  total_minor   bigint NOT NULL,     -- sum of the lines' amounts
  sha256        text NOT NULL        -- of the file's bytes as uploaded
);
CREATE INDEX agent_registries_day ON agent_registries (agent_id, business_day, id);
CREATE TABLE agent_registry_lines (
  registry_id     bigint NOT NULL REFERENCES agent_registries(id) ON DELETE CASCADE,
  line_no         integer NOT NULL,     -- 1 = first line after the header
  agent_txn_id    bigint NOT NULL,      -- the agent's agentTransactionId (payments.agent_txn_id)
  transaction_id  bigint,               -- the hub's transactionId when the file lists it
  service_id      text,
  account         text,
  amount_minor    bigint NOT NULL,
  paid            boolean NOT NULL,     -- false: the agent lists it as not paid (state failed / cancelled)
  paid_at         text,
  PRIMARY KEY (registry_id, line_no)
);
