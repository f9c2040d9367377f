-- PostgreSQL only (storage of the packed consistent rows); SQLite does not compress values.
SELECT 1;
