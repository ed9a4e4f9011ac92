-- The agent's own text for its transaction id, kept with the payment (issue 9, "SQL lives behind the engine"): Elsom's
-- transaction-number as it was written (a leading zero is lost in the bigint agent_txn_id), echoed in every answer and
-- in the registry (PAYMENT_LIST). The engine stores it in the same statement as the payment, so the separate
-- elsom_transactions table (003) goes; its rows move onto their payments first. A number whose payment was never
-- stored (a refused PAYMENT) named nothing a registry could list, and is dropped.
ALTER TABLE payments ADD COLUMN agent_reference text;

UPDATE payments p SET agent_reference = e.transaction_number
  FROM elsom_transactions e
 WHERE e.agent_id = p.agent_id AND e.agent_txn_id = p.agent_txn_id;

DROP TABLE elsom_transactions;
