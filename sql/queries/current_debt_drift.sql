-- Customers whose current_debt differs from the sum of their active loans (the invariant:
-- this count is 0).
SELECT count(*)
  FROM customers AS c
 WHERE c.current_debt <> (SELECT coalesce(sum(l.loan_amount), 0)
                            FROM loans AS l
                           WHERE l.customer_id = c.customer_id
                             AND l.is_active);
