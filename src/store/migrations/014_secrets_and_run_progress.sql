-- Second factor (engine/operators.ts, engine/secrets.ts): operators.totp_secret now holds the secret sealed with
-- AES-256-GCM under the hub's secrets key ("sealed:v1:…"); secrets stored in clear before this migration are sealed at
-- the next start (a clear value is still read until then, so nobody is locked out). The last time step a code was
-- accepted for is kept, so a code is accepted once: a login whose step is not above it is refused.
ALTER TABLE operators ADD COLUMN totp_last_step bigint;
