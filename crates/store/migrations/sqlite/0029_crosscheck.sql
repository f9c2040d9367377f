-- Cross-checks with other departments' lists (issue 15): each run of a list (a batch), every
-- row's class, and the tasks the differences raise. Mirrors ../postgres/0029_crosscheck.sql.
CREATE TABLE crosscheck_batches (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    digest TEXT NOT NULL,
    run_by TEXT NOT NULL,
    run_at BIGINT NOT NULL,
    region_code TEXT NOT NULL,
    rows BIGINT NOT NULL,
    consistent BIGINT NOT NULL,
    different BIGINT NOT NULL,
    list_only BIGINT NOT NULL,
    registry_only BIGINT NOT NULL,
    weak BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    tasks BIGINT NOT NULL
);
CREATE INDEX crosscheck_batches_region ON crosscheck_batches (region_code, run_at);
-- Every list row's class (row 0: a person of the registry the list did not hold), the file
-- it matched and the differences found (JSON).
CREATE TABLE crosscheck_rows (
    batch_id BIGINT NOT NULL REFERENCES crosscheck_batches (id),
    row_no BIGINT NOT NULL,
    class TEXT NOT NULL CHECK (class IN ('consistent', 'different', 'list_only',
        'registry_only', 'weak', 'rejected')),
    id_number TEXT NOT NULL,
    name TEXT NOT NULL,
    person_id BIGINT,
    household_code TEXT NOT NULL,
    diffs TEXT NOT NULL
);
CREATE INDEX crosscheck_rows_batch ON crosscheck_rows (batch_id, class, row_no);
-- A difference the rules name, for the town of the person's household. The fingerprint (kind,
-- difference, person, the list's value) is raised once: a rejected one stays rejected until a
-- list says something else.
CREATE TABLE crosscheck_tasks (
    id INTEGER PRIMARY KEY,
    batch_id BIGINT NOT NULL REFERENCES crosscheck_batches (id),
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    task TEXT NOT NULL,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    household_code TEXT NOT NULL,
    due_on TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'confirmed', 'rejected')),
    action TEXT NOT NULL,
    fingerprint TEXT NOT NULL UNIQUE,
    detail TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    resolved_by TEXT,
    resolved_at BIGINT
);
CREATE INDEX crosscheck_tasks_town ON crosscheck_tasks (status, household_code);
-- The consistent rows of a batch (most of a list), packed a line each (row|id number|person|
-- household|name), one value per chunk of the run.
CREATE TABLE crosscheck_consistent (
    batch_id BIGINT NOT NULL REFERENCES crosscheck_batches (id),
    first_row BIGINT NOT NULL,
    packed TEXT NOT NULL
);
CREATE INDEX crosscheck_consistent_batch ON crosscheck_consistent (batch_id, first_row);
-- A batch's rows matched to a file, per town and class.
CREATE TABLE crosscheck_towns (
    batch_id BIGINT NOT NULL REFERENCES crosscheck_batches (id),
    town_code TEXT NOT NULL,
    class TEXT NOT NULL,
    n BIGINT NOT NULL
);
CREATE INDEX crosscheck_towns_batch ON crosscheck_towns (batch_id, town_code);
