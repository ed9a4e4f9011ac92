-- Shared accounts (a provider's, the funding and acquirer accounts) take part in nearly every transfer. Keeping a
-- cached total on them made their row the lock every payment of every agent waited for. Their balance is derived
-- from the transfers instead; only accounts with a floor to enforce (agents) keep cached totals, updated under a lock.
ALTER TABLE ledger_accounts ADD COLUMN cached boolean NOT NULL DEFAULT true;
UPDATE ledger_accounts SET cached = (kind = 'agent');
CREATE INDEX ledger_transfers_debit ON ledger_transfers (debit_account_id);
CREATE INDEX ledger_transfers_credit ON ledger_transfers (credit_account_id);
UPDATE ledger_accounts SET debits_posted = 0, credits_posted = 0, debits_pending = 0, credits_pending = 0 WHERE NOT cached;
