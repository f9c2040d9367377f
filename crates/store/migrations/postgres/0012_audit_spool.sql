-- The last spool entry taken into the chain (see crates/store/src/spool.rs; SQLite only, the
-- column is kept on both engines so that their schemas stay one).
-- Mirrors ../sqlite/0012_audit_spool.sql.
ALTER TABLE audit_head ADD COLUMN spooled_upto BIGINT NOT NULL DEFAULT 0;
