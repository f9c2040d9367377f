-- Staff are shown by their names (王芳), not their account names (xw-clerk2).
-- Mirrors ../postgres/0017_user_display_names.sql.
ALTER TABLE users ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
