-- One file per person (一人一档) with the current certificate, and the history of every change
-- (creation is the row's created_at and created_by; history records changes).
-- Mirrors the other engine's 0002_persons.sql.

CREATE TABLE persons (
    id INTEGER PRIMARY KEY,
    id_number TEXT NOT NULL,
    legacy_id TEXT,
    name TEXT NOT NULL,
    name_pinyin TEXT NOT NULL,
    name_initials TEXT NOT NULL,
    sex TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    ethnicity TEXT,
    household_code TEXT NOT NULL,
    address TEXT,
    phone TEXT,
    guardian_name TEXT,
    guardian_relation TEXT,
    guardian_phone TEXT,
    bank_account TEXT,
    bank_name TEXT,
    cert_number TEXT,
    category BIGINT NOT NULL,
    components TEXT NOT NULL,
    grade BIGINT NOT NULL,
    cert_issued TEXT,
    cert_valid_to TEXT,
    cert_state TEXT NOT NULL,
    life_status TEXT NOT NULL,
    life_date TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- Keep in step with persons::import::INDEXES, which rebuilds these after a bulk load. The
-- search indexes carry the household code, so that a search is answered inside the index.
CREATE UNIQUE INDEX persons_id_number ON persons (id_number);
CREATE INDEX persons_household ON persons (household_code);
CREATE INDEX persons_name ON persons (name, household_code);
CREATE INDEX persons_initials ON persons (name_initials, household_code);
CREATE INDEX persons_pinyin ON persons (name_pinyin, household_code);
CREATE INDEX persons_cert ON persons (cert_number);

CREATE TABLE person_history (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    at_ms BIGINT NOT NULL,
    actor TEXT NOT NULL,
    source TEXT NOT NULL,
    field TEXT NOT NULL,
    before_value TEXT,
    after_value TEXT
);
CREATE INDEX person_history_person ON person_history (person_id, at_ms);
