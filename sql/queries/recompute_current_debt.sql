-- Repair customers.current_debt from the loans themselves (after a restore or a manual fix).
-- Loans are locked against writers first, so the sums cannot move while they are written.
LOCK TABLE loans IN SHARE MODE;
UPDATE customers AS c
   SET current_debt = t.total
  FROM (SELECT cu.customer_id, coalesce(sum(l.loan_amount) FILTER (WHERE l.is_active), 0) AS total
          FROM customers AS cu
          LEFT JOIN loans AS l ON l.customer_id = cu.customer_id
         GROUP BY cu.customer_id) AS t
 WHERE c.customer_id = t.customer_id
   AND c.current_debt <> t.total;
