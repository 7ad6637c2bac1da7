-- The first problems in file order (customer file, then loan file; by row, then column in the
-- order the files list them), each with the total count. A value longer than
-- value_max_length characters is cut to that length and marked with '…', so a report stays
-- small whatever a file holds.
-- Parameters: limit, value_max_length, column_order ('<file_order>:<column name>', in order).
SELECT file_order, row_no, column_name,
       CASE WHEN length(value) > %(value_max_length)s
            THEN left(value, %(value_max_length)s) || '…'
            ELSE value
       END,
       reason, count(*) OVER () AS total
  FROM ingest_problems
 ORDER BY file_order, row_no,
          array_position(%(column_order)s::text[], file_order || ':' || column_name), reason
 LIMIT %(limit)s;
