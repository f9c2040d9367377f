-- A file may exist before any assessment (新办 opens the file with the application; a child is
-- served on a diagnosis before holding a certificate): category and grade become nullable.
-- Mirrors ../sqlite/0019_persons_unassessed.sql.
ALTER TABLE persons ALTER COLUMN category DROP NOT NULL;
ALTER TABLE persons ALTER COLUMN grade DROP NOT NULL;
