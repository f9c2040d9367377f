-- Grants a roll could not compute (no 低保 standard for the household's region, locality and
-- month): held, listed on the roll with what is missing, and the roll cannot be approved
-- while any is held. Mirrors ../postgres/0016_roll_held.sql.
CREATE TABLE roll_held (
    id INTEGER PRIMARY KEY,
    roll_id BIGINT NOT NULL,
    id_number TEXT NOT NULL,
    kind TEXT NOT NULL,
    pay_month TEXT NOT NULL,
    household_code TEXT NOT NULL,
    locality TEXT NOT NULL
);
CREATE INDEX roll_held_roll ON roll_held (roll_id);
