-- The audit chain keyed with a secret kept outside the database (anju_domain::audit::AuditKey):
-- from which entry on, and a value that tells whether a key is the one the chain uses.
-- Mirrors ../sqlite/0011_audit_key.sql.
ALTER TABLE audit_head ADD COLUMN keyed_from BIGINT;
ALTER TABLE audit_head ADD COLUMN key_check TEXT;
