-- Employment services (issue 14): job-seeker registrations (one per person, kept up to date),
-- employers' postings, placements and the service chain 四定三包二保 (steps, return visits by
-- number), training courses and attendance. Mirrors ../postgres/0028_job_services.sql.
CREATE TABLE job_seekers (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL UNIQUE REFERENCES persons (id),
    wanted TEXT NOT NULL,
    skills TEXT NOT NULL,
    region_code TEXT NOT NULL,
    -- The wanted region's code prefix: a posting fits where its region starts with it.
    region_prefix TEXT NOT NULL,
    hours TEXT NOT NULL CHECK (hours IN ('full', 'part', 'any')),
    min_wage_fen BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('seeking', 'placed', 'withdrawn')),
    registered_on TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE INDEX job_seekers_region ON job_seekers (region_code);
CREATE TABLE job_postings (
    id INTEGER PRIMARY KEY,
    employer_code TEXT,
    employer_name TEXT NOT NULL,
    post TEXT NOT NULL,
    openings BIGINT NOT NULL CHECK (openings > 0),
    wage_fen BIGINT NOT NULL CHECK (wage_fen > 0),
    region_code TEXT NOT NULL,
    hours TEXT NOT NULL CHECK (hours IN ('full', 'part', 'any')),
    skills TEXT NOT NULL,
    categories TEXT NOT NULL,
    grades TEXT NOT NULL,
    accessible BIGINT NOT NULL CHECK (accessible IN (0, 1)),
    posted_on TEXT NOT NULL,
    closes_on TEXT,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX job_postings_region ON job_postings (status, region_code);
CREATE TABLE job_placements (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    posting_id BIGINT REFERENCES job_postings (id),
    employer_code TEXT,
    employer_name TEXT NOT NULL,
    post TEXT NOT NULL,
    form TEXT NOT NULL,
    placed_on TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'failed')),
    ended_on TEXT,
    end_reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX job_placements_person ON job_placements (person_id);
CREATE INDEX job_placements_posting ON job_placements (posting_id, status);
CREATE INDEX job_placements_active ON job_placements (status, placed_on);
CREATE TABLE job_steps (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    placement_id BIGINT REFERENCES job_placements (id),
    kind TEXT NOT NULL CHECK (kind IN ('post', 'training', 'referral', 'visit', 'adjustment')),
    visit_no BIGINT,
    on_date TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX job_steps_person ON job_steps (person_id, on_date);
-- A return visit is recorded once per placement and number.
CREATE UNIQUE INDEX job_steps_visit ON job_steps (placement_id, visit_no);
CREATE TABLE training_courses (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('vocational', 'startup')),
    provider TEXT NOT NULL,
    region_code TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    hours BIGINT NOT NULL CHECK (hours > 0),
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX training_courses_region ON training_courses (region_code, ends_on);
CREATE TABLE training_attendance (
    course_id BIGINT NOT NULL REFERENCES training_courses (id),
    person_id BIGINT NOT NULL REFERENCES persons (id),
    hours BIGINT NOT NULL CHECK (hours >= 0),
    completed BIGINT NOT NULL CHECK (completed IN (0, 1)),
    recorded_at BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (course_id, person_id)
);
CREATE INDEX training_attendance_person ON training_attendance (person_id);
