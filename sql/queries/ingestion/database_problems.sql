-- Rules against the rows already in the database (run under lock_tables.sql):
--   a Customer ID that exists with a different phone number is a different person (never
--   overwritten); a phone number may belong to one customer only; a loan's customer must be in
--   the customer file or in the database.
INSERT INTO ingest_problems (file_order, row_no, column_name, value, reason)
SELECT 1, t.row_no, 'customer_id', t.customer_id::text,
       'customer ' || t.customer_id || ' already exists with a different phone number'
           || ' (a different person; existing customers are never overwritten)'
  FROM ingest_customers AS t
  JOIN customers AS c ON c.customer_id = t.customer_id
 WHERE t.phone_number <> c.phone_number
UNION ALL
SELECT 1, t.row_no, 'phone_number', t.phone_number,
       'phone number already belongs to customer ' || c.customer_id || ' in the database'
  FROM ingest_customers AS t
  JOIN customers AS c ON c.phone_number = t.phone_number
 WHERE c.customer_id <> t.customer_id
UNION ALL
SELECT 2, l.row_no, 'customer_id', l.customer_id::text,
       'customer ' || l.customer_id || ' is in neither the customer file nor the database'
  FROM ingest_loans AS l
 WHERE l.customer_id IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM ingest_customers AS t WHERE t.customer_id = l.customer_id)
   AND NOT EXISTS (SELECT 1 FROM customers AS c WHERE c.customer_id = l.customer_id);
