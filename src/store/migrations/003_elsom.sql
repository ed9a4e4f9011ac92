-- Elsom biller gateway (src/gateways/elsom-biller): how an Elsom terminal becomes an agent, and which catalog service
-- each Elsom service-id pays. Payments and money stay in the engine's tables; these are configuration and identifiers.

-- One Elsom terminal (terminal-id + extra login + extra password-md5) per agent. Only a salted SHA-256 of the
-- lowercase hex MD5 Elsom sends is kept: never the password, never its MD5.
CREATE TABLE elsom_terminals (
  terminal_id     text PRIMARY KEY,
  agent_id        bigint NOT NULL UNIQUE REFERENCES agents(id),
  login           text NOT NULL,
  password_salt   text NOT NULL,
  password_sha256 text NOT NULL,
  ip_allow        text[] NOT NULL DEFAULT '{}',
  enabled         boolean NOT NULL DEFAULT true,
  created_at      timestamptz NOT NULL DEFAULT now()
);

-- Elsom's service-id → a catalog serviceId, per agent. whole_amounts: the provider takes whole soms only (code 274).
CREATE TABLE elsom_services (
  agent_id         bigint NOT NULL REFERENCES agents(id),
  elsom_service_id text NOT NULL,
  service_id       text NOT NULL REFERENCES services(service_id),
  whole_amounts    boolean NOT NULL DEFAULT false,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (agent_id, elsom_service_id)
);

-- Elsom's transaction-number as it was written (a leading zero is lost in a bigint), by the engine's agentTxnId,
-- so that the registry (PAYMENT_LIST) echoes it exactly.
CREATE TABLE elsom_transactions (
  agent_id           bigint NOT NULL REFERENCES agents(id),
  agent_txn_id       bigint NOT NULL,
  transaction_number text NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (agent_id, agent_txn_id)
);
