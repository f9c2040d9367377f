-- Audit records waiting to join the chain (crates/store/src/spool.rs). PostgreSQL keeps them
-- here, so that fifty views at once do not queue on the chain's head one by one; SQLite keeps
-- them in a file of its own beside the database (this table stays empty there, kept so that
-- both schemas are one).
-- Mirrors ../postgres/0014_audit_spool_table.sql.
CREATE TABLE audit_spool (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms BIGINT NOT NULL,
    actor TEXT,
    actor_region TEXT,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    outcome TEXT NOT NULL,
    client TEXT NOT NULL,
    detail TEXT NOT NULL
);
