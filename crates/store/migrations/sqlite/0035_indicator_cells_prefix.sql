-- The live tallies are read by region prefix: on PostgreSQL a LIKE prefix needs text_pattern_ops
-- (SQLite's GLOB uses any index). Mirrors ../postgres/0035_indicator_cells_prefix.sql.
CREATE INDEX indicator_cells_prefix ON indicator_cells (village);
