-- Customers from the file into customers, in one statement, ids kept. An existing customer
-- (same id and, checked before, same phone) is updated only where a value differs;
-- approved_limit as the file gives it; current_debt never (the loans triggers own it).
-- Returns (inserted, written): written = inserted + updated.
WITH written AS (
    INSERT INTO customers AS c
           (customer_id, first_name, last_name, phone_number, age, monthly_salary, approved_limit)
    SELECT customer_id, first_name, last_name, phone_number, age, monthly_salary, approved_limit
      FROM ingest_customers
     ORDER BY customer_id
        ON CONFLICT (customer_id) DO UPDATE
       SET first_name     = EXCLUDED.first_name,
           last_name      = EXCLUDED.last_name,
           age            = EXCLUDED.age,
           monthly_salary = EXCLUDED.monthly_salary,
           approved_limit = EXCLUDED.approved_limit
     WHERE (c.first_name, c.last_name, c.age, c.monthly_salary, c.approved_limit)
           IS DISTINCT FROM
           (EXCLUDED.first_name, EXCLUDED.last_name, EXCLUDED.age, EXCLUDED.monthly_salary,
            EXCLUDED.approved_limit)
    RETURNING 1
)
SELECT (SELECT count(*)
          FROM ingest_customers AS t
         WHERE NOT EXISTS (SELECT 1 FROM customers AS e
                           WHERE e.customer_id = t.customer_id::bigint)),
       (SELECT count(*) FROM written);
