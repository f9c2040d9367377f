-- Certificate applications and every step taken on them (who, when, what).
-- Mirrors the other engine's 0006_applications.sql.

CREATE TABLE certificate_applications (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    -- The date of the last step: limits are counted from it.
    since TEXT NOT NULL,
    applied_on TEXT NOT NULL,
    -- The household the application is handled in (scoping), and a transfer's destination.
    household_code TEXT NOT NULL,
    target_household TEXT,
    category BIGINT,
    grade BIGINT,
    components TEXT,
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    -- Bumped by every step: two staff acting at once, one step is recorded.
    version BIGINT NOT NULL
);
CREATE INDEX certificate_applications_person ON certificate_applications (person_id);
CREATE INDEX certificate_applications_household ON certificate_applications (household_code);

CREATE TABLE application_steps (
    id INTEGER PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES certificate_applications (id),
    action TEXT NOT NULL,
    on_date TEXT NOT NULL,
    detail TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    actor TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX application_steps_application ON application_steps (application_id);
