-- Yearly verification (审验核查): a campaign for the certificates whose validity ends in a year,
-- one item per certificate, the result recorded by the workers of its town.
-- Mirrors the other engine's 0007_verification.sql.

CREATE TABLE verification_campaigns (
    id INTEGER PRIMARY KEY,
    year BIGINT NOT NULL,
    region_code TEXT NOT NULL,
    opened_by TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    UNIQUE (year, region_code)
);

CREATE TABLE verification_items (
    id INTEGER PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES verification_campaigns (id),
    person_id BIGINT NOT NULL REFERENCES persons (id),
    household_code TEXT NOT NULL,
    valid_to TEXT NOT NULL,
    result TEXT,
    note TEXT,
    recorded_by TEXT,
    recorded_at BIGINT,
    UNIQUE (campaign_id, person_id)
);
CREATE INDEX verification_items_campaign ON verification_items (campaign_id, household_code);
