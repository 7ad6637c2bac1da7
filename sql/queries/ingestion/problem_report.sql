-- The first problems in file order (customer file, then loan file; by row, then column), each
-- with the total count. A value longer than value_max_length characters is cut to that
-- length and marked with '…', so a report stays small whatever a file holds.
-- Parameters: limit, value_max_length.
SELECT file_order, row_no, column_key,
       CASE WHEN length(value) > %(value_max_length)s
            THEN left(value, %(value_max_length)s) || '…'
            ELSE value
       END,
       reason, count(*) OVER () AS total
  FROM ingest_problems
 ORDER BY file_order, row_no, position, reason
 LIMIT %(limit)s;
