-- Customers whose current_debt differs from the sum of their active loans (the invariant:
-- this count is 0; sql/customer_active_debt_v1.sql).
SELECT count(*)
  FROM customers AS c
  JOIN customer_active_debt AS d USING (customer_id)
 WHERE c.current_debt <> d.active_debt;
