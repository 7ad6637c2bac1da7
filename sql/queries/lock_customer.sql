-- A write that decides from a customer's loans (create-loan, make-payment) locks the customer's
-- row until its transaction ends, so such writes for one customer run one after another. The
-- write lock on customers and loans comes first, in the order an ingestion run takes its own
-- (ingestion/lock_tables.sql): while a run holds it, the write waits here, holding nothing the
-- run needs. Returns the customer's id, or no row when there is no such customer.
LOCK TABLE customers, loans IN ROW EXCLUSIVE MODE;
SELECT customer_id FROM customers WHERE customer_id = %(customer_id)s FOR UPDATE;
