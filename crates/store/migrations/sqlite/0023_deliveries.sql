-- What a provider delivered on a case (sessions, fittings, visits with their times, days
-- attended, works stages), the units settlement prices. Mirrors ../postgres/0023_deliveries.sql.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    provider_id BIGINT NOT NULL REFERENCES providers (id),
    kind TEXT NOT NULL CHECK (kind IN ('session', 'fitting', 'follow_up', 'visit', 'attendance',
        'works_stage', 'other')),
    on_date TEXT NOT NULL,
    units BIGINT NOT NULL CHECK (units > 0),
    start_time TEXT,
    end_time TEXT,
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX deliveries_case ON deliveries (case_id, on_date);
CREATE INDEX deliveries_provider ON deliveries (provider_id, on_date);
