-- Each person's employment over time (issue 14): from a date, the form of work (or none, with
-- why and what the person lives on) and the employer. A change is a new row; the latest by
-- date is the status now. Mirrors ../postgres/0027_employment.sql.
CREATE TABLE employment_records (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    form TEXT NOT NULL CHECK (form IN ('quota', 'concentrated', 'self_employed', 'auxiliary',
        'rural', 'flexible', 'public_welfare', 'unemployed')),
    since TEXT NOT NULL,
    employer_code TEXT,
    employer_name TEXT NOT NULL,
    reason TEXT NOT NULL,
    means TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX employment_records_person ON employment_records (person_id, since);
CREATE INDEX employment_records_since ON employment_records (since);
