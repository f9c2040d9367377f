-- Services as programmes (issue 13): programmes and their versions and prices, the diagnoses a
-- file records, enrolment as a student, and cases. Mirrors ../postgres/0020_programmes.sql.
CREATE TABLE programmes (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('rehabilitation', 'device', 'care', 'renovation',
        'education', 'insurance', 'legal_aid', 'psychological', 'other')),
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
-- A change is a new version; a case keeps the version it was opened under.
CREATE TABLE programme_versions (
    id INTEGER PRIMARY KEY,
    programme_id BIGINT NOT NULL REFERENCES programmes (id),
    steps TEXT NOT NULL,
    conditions TEXT NOT NULL,
    yearly_cap_fen BIGINT CHECK (yearly_cap_fen > 0),
    second_approval BIGINT NOT NULL CHECK (second_approval IN (0, 1)),
    source TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX programme_versions_programme ON programme_versions (programme_id, id);
CREATE TABLE programme_prices (
    id INTEGER PRIMARY KEY,
    version_id BIGINT NOT NULL REFERENCES programme_versions (id),
    region_prefix TEXT NOT NULL,
    unit TEXT NOT NULL,
    amount_fen BIGINT NOT NULL CHECK (amount_fen >= 0),
    from_month TEXT NOT NULL,
    to_month TEXT
);
CREATE INDEX programme_prices_version ON programme_prices (version_id);
-- The diagnoses a file may record (a list kept as data; a programme may accept one in place of
-- a certificate), and those recorded.
CREATE TABLE diagnosis_kinds (
    name TEXT NOT NULL PRIMARY KEY,
    note TEXT NOT NULL
);
INSERT INTO diagnosis_kinds (name, note) VALUES
    ('孤独症', '孤独症谱系障碍'),
    ('脑瘫', '脑性瘫痪'),
    ('智力发育障碍', '含智力发育迟缓'),
    ('发育迟缓', '全面发育迟缓'),
    ('听力障碍', '含人工耳蜗植入适应症'),
    ('视力障碍', '低视力、盲'),
    ('言语障碍', '言语语言发育障碍'),
    ('肢体障碍', '含先天性肢体缺陷'),
    ('唐氏综合征', '21-三体综合征'),
    ('精神障碍', '经专科医院诊断');
CREATE TABLE diagnoses (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    name TEXT NOT NULL REFERENCES diagnosis_kinds (name),
    hospital TEXT NOT NULL,
    diagnosed_on TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX diagnoses_person ON diagnoses (person_id);
-- Enrolment as a student (学段, 学校, from, to): what 在读学生 reads.
CREATE TABLE enrolments (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    stage TEXT NOT NULL,
    school TEXT NOT NULL,
    from_date TEXT NOT NULL,
    to_date TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX enrolments_person ON enrolments (person_id);
-- A case: one person served by one programme under the version it was opened with, moving
-- through its steps: step_index steps done, the last on `since`; due_on is when the step now
-- due must be done (the worklist reads it).
CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    programme_id BIGINT NOT NULL REFERENCES programmes (id),
    version_id BIGINT NOT NULL REFERENCES programme_versions (id),
    state TEXT NOT NULL CHECK (state IN ('open', 'closed', 'refused')),
    opened_on TEXT NOT NULL,
    household_code TEXT NOT NULL,
    step_index BIGINT NOT NULL,
    since TEXT NOT NULL,
    due_on TEXT,
    outcome TEXT,
    override_reason TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX cases_person ON cases (person_id, programme_id);
CREATE INDEX cases_household ON cases (household_code);
CREATE INDEX cases_due ON cases (state, due_on);
-- Every action on a case: opened, a step done (with what it recorded), refused, closed.
CREATE TABLE case_steps (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    action TEXT NOT NULL CHECK (action IN ('open', 'step', 'refuse', 'close', 'assign')),
    step_name TEXT NOT NULL,
    on_date TEXT NOT NULL,
    detail TEXT NOT NULL,
    attachments TEXT NOT NULL,
    actor TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX case_steps_case ON case_steps (case_id, id);
