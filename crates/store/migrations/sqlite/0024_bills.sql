-- Settlement: a provider's monthly bill made from its delivery records at the programmes'
-- unit prices, approved (by another user when a programme asks for it) and then frozen; a
-- delivery recorded after approval goes on a new bill of the month.
-- Mirrors ../postgres/0024_bills.sql.
CREATE TABLE bills (
    id INTEGER PRIMARY KEY,
    provider_id BIGINT NOT NULL REFERENCES providers (id),
    month TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('draft', 'approved')),
    total_fen BIGINT NOT NULL,
    line_count BIGINT NOT NULL,
    second_approval BIGINT NOT NULL CHECK (second_approval IN (0, 1)),
    made_by TEXT NOT NULL,
    made_at BIGINT NOT NULL,
    approved_by TEXT,
    approved_at BIGINT
);
CREATE INDEX bills_provider ON bills (provider_id, month);
CREATE TABLE bill_lines (
    id INTEGER PRIMARY KEY,
    bill_id BIGINT NOT NULL REFERENCES bills (id),
    delivery_id BIGINT NOT NULL REFERENCES deliveries (id),
    case_id BIGINT NOT NULL,
    person_id BIGINT NOT NULL,
    programme_id BIGINT NOT NULL,
    units BIGINT NOT NULL,
    unit_fen BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL CHECK (amount_fen >= 0),
    capped_fen BIGINT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX bill_lines_bill ON bill_lines (bill_id);
CREATE INDEX bill_lines_delivery ON bill_lines (delivery_id);
CREATE INDEX bill_lines_person ON bill_lines (person_id, programme_id);
