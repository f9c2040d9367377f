-- A batch's consistent rows are kept packed, a few hundred kilobytes a value: stored out of
-- line uncompressed (compressing them cost a cross-check of a million rows about a second;
-- the space saved is small beside what the rows would take one by one).
ALTER TABLE crosscheck_consistent ALTER COLUMN packed SET STORAGE EXTERNAL;
