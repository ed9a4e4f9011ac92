-- The daily money proof (engine/money-proof.ts): one per business day, stored with its verdict, hashed and chained to
-- the proof of the day before (hash = sha256(previous_hash || canonical body)), signed by the operator who closes the day.
CREATE TABLE money_proofs (
  day           date PRIMARY KEY,
  body          jsonb NOT NULL,
  ok            boolean NOT NULL,
  hash          text NOT NULL UNIQUE,
  previous_hash text,
  created_at    timestamptz NOT NULL,
  created_by    text NOT NULL,
  signed_by     text,
  signed_at     timestamptz
);
