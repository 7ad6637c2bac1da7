-- The maturity sweep: a loan stops being active once loan_is_active(end_date) turns false
-- (sql/loan_is_active_v1.sql). One statement, so the loans UPDATE trigger lowers every
-- affected customer's current_debt in one set-based step. The write lock on both tables comes
-- first, in the order an ingestion run takes its own (ingestion/lock_tables.sql), so the sweep
-- waits for a run rather than deadlocking with it.
LOCK TABLE customers, loans IN ROW EXCLUSIVE MODE;
UPDATE loans
   SET is_active = false
 WHERE is_active
   AND NOT loan_is_active(end_date);
