-- The employment security levy (issue 14): employers' yearly declarations (data year N is the
-- year the figures describe; the levy of declaration year N+1 reads them), their disabled
-- employees, the parameters by region and declaration year, and the faults of the latest
-- import of each sheet and year (a levy refuses to run while any remain). Mirrors
-- ../postgres/0026_levy.sql.
CREATE TABLE employers (
    id INTEGER PRIMARY KEY,
    data_year BIGINT NOT NULL,
    credit_code TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('enterprise', 'organ', 'institution', 'social_group',
        'private_non_enterprise', 'other')),
    region_code TEXT NOT NULL,
    staff_hundredths BIGINT NOT NULL CHECK (staff_hundredths > 0),
    gross_fen BIGINT NOT NULL CHECK (gross_fen >= 0),
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (data_year, credit_code)
);
CREATE INDEX employers_region ON employers (data_year, region_code);
CREATE TABLE employer_staff (
    id INTEGER PRIMARY KEY,
    data_year BIGINT NOT NULL,
    credit_code TEXT NOT NULL,
    id_number TEXT NOT NULL,
    grade BIGINT NOT NULL CHECK (grade BETWEEN 1 AND 4),
    months BIGINT NOT NULL CHECK (months BETWEEN 1 AND 12),
    contract BIGINT NOT NULL CHECK (contract IN (0, 1)),
    min_wage BIGINT NOT NULL CHECK (min_wage IN (0, 1)),
    insured BIGINT NOT NULL CHECK (insured IN (0, 1)),
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (data_year, credit_code, id_number)
);
CREATE TABLE levy_params (
    id INTEGER PRIMARY KEY,
    region_code TEXT NOT NULL,
    year BIGINT NOT NULL,
    ratio_hundredths BIGINT NOT NULL CHECK (ratio_hundredths > 0),
    average_wage_fen BIGINT NOT NULL CHECK (average_wage_fen > 0),
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (region_code, year)
);
-- sheet: employers | staff | params; year: the data year (employers, staff) or the
-- declaration year (params).
CREATE TABLE levy_faults (
    id INTEGER PRIMARY KEY,
    sheet TEXT NOT NULL,
    year BIGINT NOT NULL,
    region_code TEXT NOT NULL,
    row_number BIGINT NOT NULL,
    column_name TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX levy_faults_year ON levy_faults (sheet, year);
