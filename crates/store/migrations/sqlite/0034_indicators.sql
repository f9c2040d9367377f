-- Plan indicators (issue 17): targets per region, year and indicator (in hundredths of the
-- indicator's unit), the year-end snapshots (taken once; each region's tallies packed in
-- definition order, with the definitions' codes), each person's insurance as the latest
-- insurance list says, and the live tallies per village kept exact: a change to a file or to
-- a record an indicator reads marks its village in indicator_dirty in the same transaction
-- (by the triggers below), and the next reading recounts the marked villages only.
-- Mirrors ../postgres/0034_indicators.sql.
CREATE TABLE indicator_targets (
    region_code TEXT NOT NULL,
    year BIGINT NOT NULL,
    indicator TEXT NOT NULL,
    value_x100 BIGINT NOT NULL CHECK (value_x100 >= 0),
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (region_code, year, indicator)
);
CREATE TABLE indicator_snapshots (
    year BIGINT PRIMARY KEY,
    as_of TEXT NOT NULL,
    keys TEXT NOT NULL,
    taken_by TEXT NOT NULL,
    taken_at BIGINT NOT NULL
);
CREATE TABLE indicator_snapshot_cells (
    year BIGINT NOT NULL,
    region_code TEXT NOT NULL,
    tallies TEXT NOT NULL,
    PRIMARY KEY (year, region_code)
);
CREATE TABLE indicator_meta (
    id BIGINT PRIMARY KEY,
    day TEXT NOT NULL,
    digest TEXT NOT NULL
);
CREATE TABLE indicator_cells (
    village TEXT PRIMARY KEY,
    tallies TEXT NOT NULL
);
CREATE TABLE indicator_dirty (
    village TEXT NOT NULL
);
CREATE INDEX indicator_dirty_village ON indicator_dirty (village);
CREATE TABLE insurance_status (
    person_id BIGINT NOT NULL REFERENCES persons (id),
    kind TEXT NOT NULL CHECK (kind IN ('pension', 'medical')),
    paying BIGINT NOT NULL CHECK (paying IN (0, 1)),
    status TEXT NOT NULL,
    month TEXT NOT NULL,
    batch_id BIGINT NOT NULL,
    PRIMARY KEY (person_id, kind)
);

-- SQLite: one row trigger per change, marking a village not yet marked.
CREATE TRIGGER persons_indicators_insert AFTER INSERT ON persons BEGIN INSERT INTO indicator_dirty (village) SELECT NEW.household_code WHERE NOT EXISTS (SELECT 1 FROM indicator_dirty WHERE village = NEW.household_code); END;
CREATE TRIGGER persons_indicators_update AFTER UPDATE ON persons BEGIN INSERT INTO indicator_dirty (village) SELECT OLD.household_code WHERE NOT EXISTS (SELECT 1 FROM indicator_dirty WHERE village = OLD.household_code); INSERT INTO indicator_dirty (village) SELECT NEW.household_code WHERE NOT EXISTS (SELECT 1 FROM indicator_dirty WHERE village = NEW.household_code); END;
CREATE TRIGGER persons_indicators_delete AFTER DELETE ON persons BEGIN INSERT INTO indicator_dirty (village) SELECT OLD.household_code WHERE NOT EXISTS (SELECT 1 FROM indicator_dirty WHERE village = OLD.household_code); END;
CREATE TRIGGER assistance_indicators_insert AFTER INSERT ON assistance BEGIN INSERT INTO indicator_dirty (village) SELECT p.household_code FROM persons p WHERE p.id = NEW.person_id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
CREATE TRIGGER assistance_indicators_update AFTER UPDATE ON assistance BEGIN INSERT INTO indicator_dirty (village) SELECT p.household_code FROM persons p WHERE p.id = NEW.person_id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
CREATE TRIGGER assistance_indicators_delete AFTER DELETE ON assistance BEGIN INSERT INTO indicator_dirty (village) SELECT p.household_code FROM persons p WHERE p.id = OLD.person_id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
CREATE TRIGGER diagnoses_indicators_insert AFTER INSERT ON diagnoses BEGIN INSERT INTO indicator_dirty (village) SELECT p.household_code FROM persons p WHERE p.id = NEW.person_id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
CREATE TRIGGER diagnoses_indicators_update AFTER UPDATE ON diagnoses BEGIN INSERT INTO indicator_dirty (village) SELECT p.household_code FROM persons p WHERE p.id = NEW.person_id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
CREATE TRIGGER diagnoses_indicators_delete AFTER DELETE ON diagnoses BEGIN INSERT INTO indicator_dirty (village) SELECT p.household_code FROM persons p WHERE p.id = OLD.person_id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
CREATE TRIGGER enrolments_indicators_insert AFTER INSERT ON enrolments BEGIN INSERT INTO indicator_dirty (village) SELECT p.household_code FROM persons p WHERE p.id = NEW.person_id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
CREATE TRIGGER enrolments_indicators_update AFTER UPDATE ON enrolments BEGIN INSERT INTO indicator_dirty (village) SELECT p.household_code FROM persons p WHERE p.id = NEW.person_id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
CREATE TRIGGER enrolments_indicators_delete AFTER DELETE ON enrolments BEGIN INSERT INTO indicator_dirty (village) SELECT p.household_code FROM persons p WHERE p.id = OLD.person_id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
CREATE TRIGGER cases_indicators_insert AFTER INSERT ON cases BEGIN INSERT INTO indicator_dirty (village) SELECT p.household_code FROM persons p WHERE p.id = NEW.person_id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
CREATE TRIGGER cases_indicators_update AFTER UPDATE ON cases BEGIN INSERT INTO indicator_dirty (village) SELECT p.household_code FROM persons p WHERE p.id = NEW.person_id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
CREATE TRIGGER cases_indicators_delete AFTER DELETE ON cases BEGIN INSERT INTO indicator_dirty (village) SELECT p.household_code FROM persons p WHERE p.id = OLD.person_id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
CREATE TRIGGER training_attendance_indicators_insert AFTER INSERT ON training_attendance BEGIN INSERT INTO indicator_dirty (village) SELECT p.household_code FROM persons p WHERE p.id = NEW.person_id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
CREATE TRIGGER training_attendance_indicators_update AFTER UPDATE ON training_attendance BEGIN INSERT INTO indicator_dirty (village) SELECT p.household_code FROM persons p WHERE p.id = NEW.person_id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
CREATE TRIGGER training_attendance_indicators_delete AFTER DELETE ON training_attendance BEGIN INSERT INTO indicator_dirty (village) SELECT p.household_code FROM persons p WHERE p.id = OLD.person_id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
CREATE TRIGGER employment_records_indicators_insert AFTER INSERT ON employment_records BEGIN INSERT INTO indicator_dirty (village) SELECT p.household_code FROM persons p WHERE p.id = NEW.person_id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
CREATE TRIGGER employment_records_indicators_update AFTER UPDATE ON employment_records BEGIN INSERT INTO indicator_dirty (village) SELECT p.household_code FROM persons p WHERE p.id = NEW.person_id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
CREATE TRIGGER employment_records_indicators_delete AFTER DELETE ON employment_records BEGIN INSERT INTO indicator_dirty (village) SELECT p.household_code FROM persons p WHERE p.id = OLD.person_id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
CREATE TRIGGER payments_indicators_insert AFTER INSERT ON payments BEGIN INSERT INTO indicator_dirty (village) SELECT p.household_code FROM persons p WHERE p.id = NEW.person_id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
CREATE TRIGGER payments_indicators_update AFTER UPDATE ON payments BEGIN INSERT INTO indicator_dirty (village) SELECT p.household_code FROM persons p WHERE p.id = NEW.person_id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
CREATE TRIGGER payments_indicators_delete AFTER DELETE ON payments BEGIN INSERT INTO indicator_dirty (village) SELECT p.household_code FROM persons p WHERE p.id = OLD.person_id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
CREATE TRIGGER visits_indicators_insert AFTER INSERT ON visits BEGIN INSERT INTO indicator_dirty (village) SELECT p.household_code FROM persons p WHERE p.id = NEW.person_id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
CREATE TRIGGER visits_indicators_update AFTER UPDATE ON visits BEGIN INSERT INTO indicator_dirty (village) SELECT p.household_code FROM persons p WHERE p.id = NEW.person_id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
CREATE TRIGGER visits_indicators_delete AFTER DELETE ON visits BEGIN INSERT INTO indicator_dirty (village) SELECT p.household_code FROM persons p WHERE p.id = OLD.person_id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
CREATE TRIGGER survey_forms_indicators_insert AFTER INSERT ON survey_forms BEGIN INSERT INTO indicator_dirty (village) SELECT p.household_code FROM persons p WHERE p.id = NEW.person_id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
CREATE TRIGGER survey_forms_indicators_update AFTER UPDATE ON survey_forms BEGIN INSERT INTO indicator_dirty (village) SELECT p.household_code FROM persons p WHERE p.id = NEW.person_id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
CREATE TRIGGER survey_forms_indicators_delete AFTER DELETE ON survey_forms BEGIN INSERT INTO indicator_dirty (village) SELECT p.household_code FROM persons p WHERE p.id = OLD.person_id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
CREATE TRIGGER insurance_status_indicators_insert AFTER INSERT ON insurance_status BEGIN INSERT INTO indicator_dirty (village) SELECT p.household_code FROM persons p WHERE p.id = NEW.person_id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
CREATE TRIGGER insurance_status_indicators_update AFTER UPDATE ON insurance_status BEGIN INSERT INTO indicator_dirty (village) SELECT p.household_code FROM persons p WHERE p.id = NEW.person_id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
CREATE TRIGGER insurance_status_indicators_delete AFTER DELETE ON insurance_status BEGIN INSERT INTO indicator_dirty (village) SELECT p.household_code FROM persons p WHERE p.id = OLD.person_id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
CREATE TRIGGER training_courses_indicators_update AFTER UPDATE OF ends_on ON training_courses BEGIN INSERT INTO indicator_dirty (village) SELECT DISTINCT p.household_code FROM training_attendance a JOIN persons p ON p.id = a.person_id WHERE a.course_id = NEW.id AND NOT EXISTS (SELECT 1 FROM indicator_dirty d WHERE d.village = p.household_code); END;
