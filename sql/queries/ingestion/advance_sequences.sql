-- Move the identity sequences of customers and loans past every id in the tables, so
-- POST /register and /create-loan never pick a loaded id. Never moves a sequence back, and
-- leaves it untouched when it is already past (a second run changes nothing). The last step
-- of a run: sequences are not transactional, so nothing before this touches them.
SELECT setval(s.sequence, s.max_id)
  FROM (SELECT pg_get_serial_sequence('customers', 'customer_id')::regclass AS sequence,
               (SELECT max(customer_id) FROM customers) AS max_id
        UNION ALL
        SELECT pg_get_serial_sequence('loans', 'loan_id')::regclass,
               (SELECT max(loan_id) FROM loans)) AS s
 WHERE s.max_id > coalesce(pg_sequence_last_value(s.sequence), 0);
