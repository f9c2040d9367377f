-- The annual survey (issue 16): a year opened by an administrator for a subtree's certificate
-- holders; one form a person a year (answers by question code, as JSON), its version (a
-- second worker saving over a form changed since they opened it is told, nothing overwritten),
-- and the town's or county's check (accepted, or returned with a note).
CREATE TABLE survey_years (
    year BIGINT NOT NULL,
    region_code TEXT NOT NULL,
    opened_by TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    PRIMARY KEY (year, region_code)
);
CREATE TABLE survey_forms (
    id INTEGER PRIMARY KEY,
    year BIGINT NOT NULL,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    household_code TEXT NOT NULL,
    answers TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('submitted', 'accepted', 'returned')),
    version BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    checked_by TEXT,
    checked_at BIGINT,
    note TEXT NOT NULL,
    UNIQUE (year, person_id)
);
CREATE INDEX survey_forms_region ON survey_forms (year, household_code);
