-- Repair customers.current_debt from the loans themselves (after a restore or a manual fix).
-- Loans are locked against writers first, so the sums cannot move while they are written.
LOCK TABLE loans IN SHARE MODE;
UPDATE customers AS c
   SET current_debt = d.active_debt
  FROM customer_active_debt AS d
 WHERE c.customer_id = d.customer_id
   AND c.current_debt <> d.active_debt;
