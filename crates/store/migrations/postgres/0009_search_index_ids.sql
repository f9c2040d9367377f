-- The search indexes carry the row id too: a page of a search (ordered by region and id) is
-- then chosen from the index alone, and only that page's rows are read from the table.
-- (SQLite's indexes hold the rowid already; its 0009 changes nothing.)
DROP INDEX persons_name;
DROP INDEX persons_initials;
DROP INDEX persons_pinyin;
CREATE INDEX persons_name ON persons (name text_pattern_ops, household_code, id);
CREATE INDEX persons_initials ON persons (name_initials text_pattern_ops, household_code, id);
CREATE INDEX persons_pinyin ON persons (name_pinyin text_pattern_ops, household_code, id);
