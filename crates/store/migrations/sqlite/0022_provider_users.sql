-- A provider's users are bound to it, and a case is assigned to one provider at a time: its
-- users see only the open cases assigned to it. Mirrors ../postgres/0022_provider_users.sql.
ALTER TABLE users ADD COLUMN provider_id BIGINT;
ALTER TABLE cases ADD COLUMN provider_id BIGINT;
CREATE INDEX cases_provider ON cases (provider_id, state);
