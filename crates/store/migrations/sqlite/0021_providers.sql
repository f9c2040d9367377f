-- Service providers (服务机构), known by their unified social credit code: the regions they
-- serve, the programmes they deliver, the agreement period, a 残疾人之家's star level; the
-- federation that registered one (region_code) keeps it. Mirrors ../postgres/0021_providers.sql.
CREATE TABLE providers (
    id INTEGER PRIMARY KEY,
    credit_code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('rehab_institution', 'device_supplier', 'care_provider',
        'disability_home', 'contractor', 'other')),
    region_code TEXT NOT NULL,
    regions_served TEXT NOT NULL,
    programmes TEXT NOT NULL,
    agreement_from TEXT NOT NULL,
    agreement_to TEXT NOT NULL,
    star_level BIGINT CHECK (star_level BETWEEN 1 AND 5),
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX providers_region ON providers (region_code);
