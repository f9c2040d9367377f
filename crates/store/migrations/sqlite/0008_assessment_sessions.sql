-- Online assessment sessions (线上评定): a day with a designated hospital and its doctors, the
-- applicants put on it, and their outcomes recorded together (each as the application's
-- assessment step).
-- Mirrors the other engine's 0008_assessment_sessions.sql.

CREATE TABLE assessment_sessions (
    id INTEGER PRIMARY KEY,
    held_on TEXT NOT NULL,
    hospital TEXT NOT NULL,
    doctors TEXT NOT NULL,
    region_code TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE session_applicants (
    session_id BIGINT NOT NULL REFERENCES assessment_sessions (id),
    application_id BIGINT NOT NULL REFERENCES certificate_applications (id),
    PRIMARY KEY (session_id, application_id)
);
