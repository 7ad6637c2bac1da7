-- Repair customers.current_debt from the loans themselves (after a restore or a manual fix).
-- Loans are locked against writers first, so the sums cannot move while they are written;
-- customers' write lock comes before it, in the order an ingestion run takes its own
-- (ingestion/lock_tables.sql), so the repair waits for a run rather than deadlocking with it.
LOCK TABLE customers IN ROW EXCLUSIVE MODE;
LOCK TABLE loans IN SHARE MODE;
UPDATE customers AS c
   SET current_debt = d.active_debt
  FROM customer_active_debt AS d
 WHERE c.customer_id = d.customer_id
   AND c.current_debt <> d.active_debt;
