-- Plan indicators (issue 17): targets per region, year and indicator (in hundredths of the
-- indicator's unit), the year-end snapshots (taken once; each region's tallies packed in
-- definition order, with the definitions' codes), each person's insurance as the latest
-- insurance list says, and the live tallies per village kept exact: a change to a file or to
-- a record an indicator reads marks its village in indicator_dirty in the same transaction
-- (by the triggers below), and the next reading recounts the marked villages only.
-- Mirrors ../sqlite/0034_indicators.sql.
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

-- PostgreSQL: one statement trigger per change, reading the changed rows as a transition
-- table; no unique key on the marks, so that concurrent writers never wait on each other.
CREATE FUNCTION indicator_mark_by_person() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO indicator_dirty (village)
    SELECT DISTINCT p.household_code FROM changed c JOIN persons p ON p.id = c.person_id;
    RETURN NULL;
END
$$;
CREATE FUNCTION indicator_mark_persons() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO indicator_dirty (village) SELECT DISTINCT household_code FROM changed;
    RETURN NULL;
END
$$;
CREATE FUNCTION indicator_mark_persons_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO indicator_dirty (village)
    SELECT household_code FROM old_rows UNION SELECT household_code FROM new_rows;
    RETURN NULL;
END
$$;
CREATE FUNCTION indicator_mark_course() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO indicator_dirty (village)
    SELECT DISTINCT p.household_code FROM changed c JOIN training_attendance a ON a.course_id = c.id
    JOIN persons p ON p.id = a.person_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER persons_indicators_insert AFTER INSERT ON persons REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_persons();
CREATE TRIGGER persons_indicators_update AFTER UPDATE ON persons
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_persons_moved();
CREATE TRIGGER persons_indicators_delete AFTER DELETE ON persons REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_persons();
CREATE TRIGGER assistance_indicators_insert AFTER INSERT ON assistance REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_by_person();
CREATE TRIGGER assistance_indicators_update AFTER UPDATE ON assistance REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_by_person();
CREATE TRIGGER assistance_indicators_delete AFTER DELETE ON assistance REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_by_person();
CREATE TRIGGER diagnoses_indicators_insert AFTER INSERT ON diagnoses REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_by_person();
CREATE TRIGGER diagnoses_indicators_update AFTER UPDATE ON diagnoses REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_by_person();
CREATE TRIGGER diagnoses_indicators_delete AFTER DELETE ON diagnoses REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_by_person();
CREATE TRIGGER enrolments_indicators_insert AFTER INSERT ON enrolments REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_by_person();
CREATE TRIGGER enrolments_indicators_update AFTER UPDATE ON enrolments REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_by_person();
CREATE TRIGGER enrolments_indicators_delete AFTER DELETE ON enrolments REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_by_person();
CREATE TRIGGER cases_indicators_insert AFTER INSERT ON cases REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_by_person();
CREATE TRIGGER cases_indicators_update AFTER UPDATE ON cases REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_by_person();
CREATE TRIGGER cases_indicators_delete AFTER DELETE ON cases REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_by_person();
CREATE TRIGGER training_attendance_indicators_insert AFTER INSERT ON training_attendance REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_by_person();
CREATE TRIGGER training_attendance_indicators_update AFTER UPDATE ON training_attendance REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_by_person();
CREATE TRIGGER training_attendance_indicators_delete AFTER DELETE ON training_attendance REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_by_person();
CREATE TRIGGER employment_records_indicators_insert AFTER INSERT ON employment_records REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_by_person();
CREATE TRIGGER employment_records_indicators_update AFTER UPDATE ON employment_records REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_by_person();
CREATE TRIGGER employment_records_indicators_delete AFTER DELETE ON employment_records REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_by_person();
CREATE TRIGGER payments_indicators_insert AFTER INSERT ON payments REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_by_person();
CREATE TRIGGER payments_indicators_update AFTER UPDATE ON payments REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_by_person();
CREATE TRIGGER payments_indicators_delete AFTER DELETE ON payments REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_by_person();
CREATE TRIGGER visits_indicators_insert AFTER INSERT ON visits REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_by_person();
CREATE TRIGGER visits_indicators_update AFTER UPDATE ON visits REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_by_person();
CREATE TRIGGER visits_indicators_delete AFTER DELETE ON visits REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_by_person();
CREATE TRIGGER survey_forms_indicators_insert AFTER INSERT ON survey_forms REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_by_person();
CREATE TRIGGER survey_forms_indicators_update AFTER UPDATE ON survey_forms REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_by_person();
CREATE TRIGGER survey_forms_indicators_delete AFTER DELETE ON survey_forms REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_by_person();
CREATE TRIGGER insurance_status_indicators_insert AFTER INSERT ON insurance_status REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_by_person();
CREATE TRIGGER insurance_status_indicators_update AFTER UPDATE ON insurance_status REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_by_person();
CREATE TRIGGER insurance_status_indicators_delete AFTER DELETE ON insurance_status REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_by_person();
CREATE TRIGGER training_courses_indicators_update AFTER UPDATE ON training_courses REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_mark_course();
