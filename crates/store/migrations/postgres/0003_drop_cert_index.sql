-- A certificate number begins with its holder's ID number (checked on every write), so a
-- search by certificate number goes through persons_id_number; its own index only slowed imports.
DROP INDEX persons_cert;
