-- The first problems in file order (customer file, then loan file; by row, then column), each
-- with the total count.
SELECT file_order, row_no, column_key, value, reason, count(*) OVER () AS total
  FROM ingest_problems
 ORDER BY file_order, row_no, position, reason
 LIMIT %(limit)s;
