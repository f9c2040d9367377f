-- The two subsidies (两项补贴): their inputs (life events, assistance statuses, grants), the
-- policy as data (standards in file order, local 低保 standards, combination rules), and the
-- monthly rolls with every line paid, the payments they made, and recoveries.
-- Months are 'YYYY-MM' text (ordered as text); money is integer fen.
-- Mirrors the other engine's 0004_subsidies.sql.

CREATE TABLE life_events (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    kind TEXT NOT NULL,
    event_date TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (person_id, kind, event_date)
);

CREATE TABLE assistance (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    kind TEXT NOT NULL,
    from_month TEXT NOT NULL,
    to_month TEXT,
    amount_fen BIGINT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (person_id, kind, from_month)
);

CREATE TABLE grants (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    kind TEXT NOT NULL,
    locality TEXT NOT NULL,
    from_month TEXT NOT NULL,
    to_month TEXT,
    bank_account TEXT NOT NULL,
    bank_name TEXT NOT NULL,
    long_term_care BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (person_id, kind, from_month)
);

CREATE TABLE standards (
    id INTEGER PRIMARY KEY,
    seq BIGINT NOT NULL,
    region_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    assistance TEXT NOT NULL,
    grades TEXT NOT NULL,
    categories TEXT NOT NULL,
    locality TEXT,
    method TEXT NOT NULL,
    value BIGINT NOT NULL,
    from_month TEXT NOT NULL,
    to_month TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE dibao_standards (
    id INTEGER PRIMARY KEY,
    region_code TEXT NOT NULL,
    locality TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    from_month TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (region_code, locality, from_month)
);

CREATE TABLE subsidy_exclusions (
    assistance TEXT NOT NULL,
    subsidy TEXT NOT NULL,
    effect TEXT NOT NULL,
    PRIMARY KEY (assistance, subsidy)
);

-- The shipped defaults (reference §4): Jiangsu's minimum standards for the province, and the
-- national combination rules.
INSERT INTO standards (seq, region_code, kind, assistance, grades, categories, locality, method, value, from_month, to_month, created_at, created_by) VALUES
    (1, '320000000000', 'living', 'dibao', '1,2', '', NULL, 'dibao_share', 300000, '2023-04', NULL, 0, 'system'),
    (2, '320000000000', 'living', 'dibao', '3,4', '', NULL, 'dibao_share', 250000, '2023-04', NULL, 0, 'system'),
    (3, '320000000000', 'care', '', '1,2', '', 'urban', 'fixed', 13000, '2023-04', NULL, 0, 'system'),
    (4, '320000000000', 'care', '', '1,2', '', 'rural', 'fixed', 9000, '2023-04', NULL, 0, 'system');
INSERT INTO subsidy_exclusions (assistance, subsidy, effect) VALUES
    ('tekun', 'living', 'exclude'),
    ('tekun', 'care', 'exclude'),
    ('injury_care', 'living', 'exclude'),
    ('injury_care', 'care', 'exclude'),
    ('orphan', 'living', 'exclude'),
    ('elderly_care', 'care', 'higher');

CREATE TABLE rolls (
    id INTEGER PRIMARY KEY,
    month TEXT NOT NULL,
    region_code TEXT NOT NULL,
    status TEXT NOT NULL,
    generated_by TEXT NOT NULL,
    generated_at BIGINT NOT NULL,
    approved_by TEXT,
    approved_at BIGINT,
    line_count BIGINT NOT NULL,
    total_fen BIGINT NOT NULL,
    UNIQUE (month, region_code)
);

-- The rules a roll's lines cite, once per roll.
CREATE TABLE roll_rules (
    id INTEGER PRIMARY KEY,
    roll_id BIGINT NOT NULL REFERENCES rolls (id) ON DELETE CASCADE,
    standard_id BIGINT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX roll_rules_roll ON roll_rules (roll_id);

-- One line per grant and month paid. Name, household and account are copied from the file
-- and the grant when the roll is made: an approved roll is a frozen document. Lines and
-- payments are written only by the roll's own code, from grants and files read in the same
-- transaction, and never deleted but with their draft: they carry no foreign keys, whose
-- checks tripled the time PostgreSQL took to write a province's roll.
CREATE TABLE roll_lines (
    id INTEGER PRIMARY KEY,
    roll_id BIGINT NOT NULL,
    grant_id BIGINT NOT NULL,
    person_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    pay_month TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    rule_id BIGINT NOT NULL,
    arrears BIGINT NOT NULL,
    household_code TEXT NOT NULL,
    name TEXT NOT NULL,
    id_number TEXT NOT NULL,
    bank_account TEXT NOT NULL,
    bank_name TEXT NOT NULL,
    bank_status TEXT,
    bank_reason TEXT
);
-- A person's paid lines are found through payments (by person); a roll's through this.
CREATE INDEX roll_lines_roll ON roll_lines (roll_id);

-- What approved rolls paid. A person is paid once per subsidy and month across all rolls;
-- a payment the bank returned as failed gives way to its re-payment.
CREATE TABLE payments (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    kind TEXT NOT NULL,
    pay_month TEXT NOT NULL,
    roll_id BIGINT NOT NULL,
    line_id BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    status TEXT NOT NULL
);
CREATE UNIQUE INDEX payments_once ON payments (person_id, kind, pay_month) WHERE status <> 'failed';
CREATE INDEX payments_month ON payments (pay_month);

-- 应退则退: a payment made for a month the person should not have been paid.
CREATE TABLE recoveries (
    id INTEGER PRIMARY KEY,
    payment_id BIGINT NOT NULL UNIQUE REFERENCES payments (id),
    person_id BIGINT NOT NULL REFERENCES persons (id),
    kind TEXT NOT NULL,
    pay_month TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    closed_at BIGINT,
    closed_by TEXT,
    note TEXT
);
CREATE INDEX recoveries_person ON recoveries (person_id);
