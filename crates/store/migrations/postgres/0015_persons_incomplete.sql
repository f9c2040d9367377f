-- Files to complete: 多重 recorded without its components (accepted with a warning). The
-- worklist counts them per subtree and the list filters them (数据质量): a partial index holds
-- just those rows, so the count never scans the registry.
-- Mirrors ../sqlite/0015_persons_incomplete.sql.
CREATE INDEX persons_incomplete ON persons (household_code) WHERE category = 7 AND components = '';
