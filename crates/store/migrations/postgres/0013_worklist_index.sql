-- The worklist counts certificates by state and end date (expiring, expired, frozen): an
-- index on both makes those counts ranges instead of scans of the whole registry.
-- Mirrors ../sqlite/0013_worklist_index.sql.
CREATE INDEX persons_cert_due ON persons (cert_state, cert_valid_to);
