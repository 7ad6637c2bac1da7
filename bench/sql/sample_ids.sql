-- Ids the API benchmark spreads its requests over: random loans and random customers.
SELECT 'loan', loan_id FROM (SELECT loan_id FROM loans ORDER BY random() LIMIT %(limit)s) AS l
UNION ALL
SELECT 'customer', customer_id
  FROM (SELECT customer_id FROM customers ORDER BY random() LIMIT %(limit)s) AS c;
