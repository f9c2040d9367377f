-- What the programmes of each kind keep beside the case's steps (issue 13). Mirrors
-- ../postgres/0025_service_details.sql.
--
-- The assistive-device catalogue (辅具目录): a class code after GB/T 16432 / ISO 9999, the
-- subsidy and years of use for a region from a month, and who may receive it (in the
-- programmes' condition vocabulary). An import replaces the row of one code, region and month.
CREATE TABLE device_items (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    years_of_use BIGINT NOT NULL CHECK (years_of_use >= 0),
    subsidy_fen BIGINT NOT NULL CHECK (subsidy_fen >= 0),
    conditions TEXT NOT NULL,
    region_prefix TEXT NOT NULL,
    from_month TEXT NOT NULL,
    to_month TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (code, region_prefix, from_month)
);
-- The device of a device case: fitted on a date (the years-of-use rule reads it), or rented
-- out until a due date against a deposit, returned and the deposit refunded.
CREATE TABLE case_devices (
    case_id BIGINT NOT NULL PRIMARY KEY REFERENCES cases (id),
    item_id BIGINT NOT NULL REFERENCES device_items (id),
    person_id BIGINT NOT NULL REFERENCES persons (id),
    code TEXT NOT NULL,
    fitted_on TEXT,
    rented_on TEXT,
    rent_due_on TEXT,
    returned_on TEXT,
    deposit_fen BIGINT CHECK (deposit_fen >= 0),
    refunded_fen BIGINT CHECK (refunded_fen >= 0),
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE INDEX case_devices_person ON case_devices (person_id, code);
-- A quote or budget (报价、预算) and the final cost of a case, in fen (devices, renovation).
ALTER TABLE cases ADD COLUMN budget_fen BIGINT;
ALTER TABLE cases ADD COLUMN cost_fen BIGINT;
-- A care case's plan: visits a month and minutes a visit (home care), days a month (day and
-- residential care), and whether the member works in auxiliary employment (辅助性就业).
CREATE TABLE care_plans (
    case_id BIGINT NOT NULL PRIMARY KEY REFERENCES cases (id),
    visits_a_month BIGINT CHECK (visits_a_month > 0),
    minutes_a_visit BIGINT CHECK (minutes_a_visit > 0),
    days_a_month BIGINT CHECK (days_a_month > 0),
    auxiliary_employment BIGINT NOT NULL CHECK (auxiliary_employment IN (0, 1)),
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);
-- The federation's return checks (回访) on a case, with a satisfaction score 1-5.
CREATE TABLE return_checks (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    on_date TEXT NOT NULL,
    satisfaction BIGINT NOT NULL CHECK (satisfaction BETWEEN 1 AND 5),
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX return_checks_case ON return_checks (case_id, on_date);
-- Star-rating schemes for 残疾人之家 (items with points, levels with the least total), from a
-- year on; and each home's yearly evaluation against one.
CREATE TABLE star_schemes (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    from_year BIGINT NOT NULL,
    items TEXT NOT NULL,
    levels TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE TABLE star_evaluations (
    id INTEGER PRIMARY KEY,
    provider_id BIGINT NOT NULL REFERENCES providers (id),
    year BIGINT NOT NULL,
    scheme_id BIGINT NOT NULL REFERENCES star_schemes (id),
    scores TEXT NOT NULL,
    total BIGINT NOT NULL,
    star_level BIGINT CHECK (star_level BETWEEN 1 AND 5),
    evaluated_on TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (provider_id, year)
);
