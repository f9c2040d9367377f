-- PostgreSQL's search indexes gain the row id in its 0009; SQLite's indexes hold the rowid
-- already, so nothing changes here.
SELECT 1;
