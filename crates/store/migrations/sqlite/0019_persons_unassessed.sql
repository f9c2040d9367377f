-- no-transaction
-- A file may exist before any assessment (新办 opens the file with the application; a child is
-- served on a diagnosis before holding a certificate): category and grade become nullable.
-- SQLite cannot drop a NOT NULL in place, so the table is rebuilt (SQLite's documented
-- procedure: foreign keys off outside the transaction, the copy inside it, then checked).
-- Mirrors ../postgres/0019_persons_unassessed.sql.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE persons_new (
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
    category BIGINT,
    components TEXT NOT NULL,
    grade BIGINT,
    cert_issued TEXT,
    cert_valid_to TEXT,
    cert_state TEXT NOT NULL,
    life_status TEXT NOT NULL,
    life_date TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO persons_new SELECT id, id_number, legacy_id, name, name_pinyin, name_initials, sex,
    birth_date, ethnicity, household_code, address, phone, guardian_name, guardian_relation,
    guardian_phone, bank_account, bank_name, cert_number, category, components, grade,
    cert_issued, cert_valid_to, cert_state, life_status, life_date, created_at, created_by,
    updated_at FROM persons;
DROP TABLE persons;
ALTER TABLE persons_new RENAME TO persons;
CREATE UNIQUE INDEX persons_id_number ON persons (id_number);
CREATE INDEX persons_household ON persons (household_code);
CREATE INDEX persons_name ON persons (name, household_code);
CREATE INDEX persons_initials ON persons (name_initials, household_code);
CREATE INDEX persons_pinyin ON persons (name_pinyin, household_code);
CREATE INDEX persons_cert_due ON persons (cert_state, cert_valid_to);
CREATE INDEX persons_incomplete ON persons (household_code) WHERE category = 7 AND components = '';
COMMIT;
PRAGMA foreign_keys = ON;
