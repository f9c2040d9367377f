-- Departments' keys for the certificate verification service (证照核验, issue 15): each bound to
-- a department, an allowed purpose, a region and a daily quota of ID numbers; only the key's
-- hash is kept. Usage is counted per key and day.
CREATE TABLE dept_keys (
    id INTEGER PRIMARY KEY,
    department TEXT NOT NULL,
    purpose TEXT NOT NULL CHECK (purpose IN ('certificate', 'category')),
    region_code TEXT NOT NULL,
    daily_quota BIGINT NOT NULL CHECK (daily_quota > 0),
    key_hash TEXT NOT NULL UNIQUE,
    key_prefix TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_by TEXT,
    revoked_at BIGINT
);
CREATE TABLE dept_key_usage (
    key_id BIGINT NOT NULL REFERENCES dept_keys (id),
    day TEXT NOT NULL,
    asked BIGINT NOT NULL,
    calls BIGINT NOT NULL,
    PRIMARY KEY (key_id, day)
);
