-- The grants a draft stops (paid last month, not this month) with their reasons, kept with
-- the draft so that the approver reads them on the roll page. Mirrors ../postgres/0018_roll_stops.sql.
CREATE TABLE roll_stops (
    id INTEGER PRIMARY KEY,
    roll_id BIGINT NOT NULL,
    id_number TEXT NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX roll_stops_roll ON roll_stops (roll_id);
