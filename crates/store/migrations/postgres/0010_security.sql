-- Logins that cannot be used to lock people out, settings an administrator may change, and
-- the auditor's look at searches by ID number.
-- Mirrors ../sqlite/0010_security.sql.

-- Failed passwords per account and address: 5 from one address lock that address out; the
-- account-wide count stays in users.failed_logins.
CREATE TABLE login_failures (
    user_id BIGINT NOT NULL,
    client TEXT NOT NULL,
    failures BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    last_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, client)
);

-- Values of anju_domain::session::SETTINGS that differ from the defaults.
CREATE TABLE security_settings (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

-- Counting one action in a window (ID searches that missed, per user and hour).
CREATE INDEX audit_log_action_at ON audit_log (action, at_ms);
