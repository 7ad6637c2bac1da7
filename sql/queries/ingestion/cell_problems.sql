-- The cell rules of one file: a row in ingest_problems per refused cell. A template
-- (steps.py), composed from the file's column definitions (columns.py): {table} is the
-- file's staging table, {rules} one "<rule> AS <column>_problem" per column, {cells} one
-- (column name, value as the file has it, problem) per column, {problems} the problem columns.
-- Each rule is a function of sql/ingestion_cells_v3.sql called with the column's bounds.
-- OFFSET 0 judges each cell once; a cell's value is rendered only on a row with a problem.
ANALYZE {table};

INSERT INTO ingest_problems (file_order, row_no, column_name, value, reason)
SELECT {file_order}, p.row_no, c.column_name, c.value, c.reason
  FROM (SELECT t.*, {rules} FROM {table} AS t OFFSET 0) AS p
 CROSS JOIN LATERAL (VALUES {cells}) AS c (column_name, value, reason)
 WHERE num_nonnulls({problems}) > 0
   AND c.reason IS NOT NULL;
