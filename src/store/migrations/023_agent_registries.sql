-- PLACEHOLDER (lead): the contract schema given to helper-registry; its own file replaces this one at the merge.
CREATE TABLE agent_registries (
  id            bigserial PRIMARY KEY,
  agent_id      bigint NOT NULL REFERENCES agents(id),
  business_day  date NOT NULL,
  source        text NOT NULL CHECK (source IN ('admin_api', 'cabinet')),
  uploaded_by   text NOT NULL,
  uploaded_at   timestamptz NOT NULL,
  line_count    integer NOT NULL,
  total_minor   bigint NOT NULL,
  sha256        text NOT NULL
);
CREATE INDEX agent_registries_day ON agent_registries (agent_id, business_day, id);
CREATE TABLE agent_registry_lines (
  registry_id     bigint NOT NULL REFERENCES agent_registries(id) ON DELETE CASCADE,
  line_no         integer NOT NULL,
  agent_txn_id    bigint NOT NULL,
  transaction_id  bigint,
  service_id      text,
  account         text,
  amount_minor    bigint NOT NULL,
  paid            boolean NOT NULL,
  paid_at         text,
  PRIMARY KEY (registry_id, line_no)
);
