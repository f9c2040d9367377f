-- The certificate's rules and calendar as data, and what the daily sweep did.
-- The shipped calendar (2024-2026) and rules are written by the store on first start (from
-- anju_domain::calendar and anju_domain::cert_rules), once: `seeded` remembers it, so that a
-- day or rule removed or changed later stays so.
-- Mirrors the other engine's 0005_certificates.sql.

CREATE TABLE seeded (
    what TEXT PRIMARY KEY,
    at_ms BIGINT NOT NULL
);

CREATE TABLE work_calendar (
    day TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE certificate_rules (
    rule TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

CREATE TABLE certificate_validity (
    id INTEGER PRIMARY KEY,
    seq BIGINT NOT NULL,
    category BIGINT,
    age_from BIGINT,
    age_to BIGINT,
    years BIGINT NOT NULL
);

-- Automatic changes and notices: a state change (frozen, cancelled) with the rule that made
-- it, and the expiring / expired notices, once per certificate period.
CREATE TABLE certificate_events (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    on_date TEXT NOT NULL,
    kind TEXT NOT NULL,
    rule TEXT NOT NULL,
    before_state TEXT,
    after_state TEXT,
    -- The certificate's valid-to date for a notice, the day of a change: each recorded once.
    period_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE UNIQUE INDEX certificate_events_once ON certificate_events (person_id, kind, period_key);
