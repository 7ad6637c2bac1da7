-- The cell problems of one file: a row in ingest_problems per refused cell. A template
-- (steps.py), composed from the file's column definitions (columns.py): {table} is the file's
-- staging table, whose <column>_problem columns the cell rules filled as COPY stored each row
-- (create_staging.sql); {problems} lists them, and {cells} has one (column name, value as the
-- file has it, problem) per column: a value is rendered only on a row with a problem.
ANALYZE {table};

INSERT INTO ingest_problems (file_order, row_no, column_name, value, reason)
SELECT {file_order}, t.row_no, c.column_name, c.value, c.reason
  FROM {table} AS t
 CROSS JOIN LATERAL (VALUES {cells}) AS c (column_name, value, reason)
 WHERE num_nonnulls({problems}) > 0
   AND c.reason IS NOT NULL;
