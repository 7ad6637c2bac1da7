-- The customer file against the rows already in the database (under lock_tables.sql): a
-- Customer ID that exists with a different phone number is a different person (never
-- overwritten: the load itself would not refuse it); a phone number belongs to one customer.
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
 WHERE c.customer_id <> t.customer_id;
