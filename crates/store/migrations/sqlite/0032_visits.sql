-- Home visits (入户访视, issue 16): what a village worker found (the structured situation, the
-- urgent needs as need item codes, a note), kept once per form (token: a form sent again by a
-- phone that lost its connection is not a second visit); and what a visit asks the town to
-- follow up, with a deadline in working days, closed with what was done.
CREATE TABLE visits (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    visited_on TEXT NOT NULL,
    met TEXT NOT NULL,
    living TEXT NOT NULL,
    health TEXT NOT NULL,
    income TEXT NOT NULL,
    needs TEXT NOT NULL,
    note TEXT NOT NULL,
    token TEXT UNIQUE,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX visits_person ON visits (person_id, visited_on);
CREATE TABLE visit_followups (
    id INTEGER PRIMARY KEY,
    visit_id BIGINT NOT NULL REFERENCES visits (id),
    person_id BIGINT NOT NULL REFERENCES persons (id),
    household_code TEXT NOT NULL,
    what TEXT NOT NULL,
    due_on TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    outcome TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    closed_by TEXT,
    closed_at BIGINT
);
CREATE INDEX visit_followups_town ON visit_followups (status, household_code);
