-- From here to commit, nobody else writes customers or loans: the checks against existing rows,
-- the loan ids chosen and the sequences moved stay true until commit. SHARE ROW EXCLUSIVE
-- conflicts with writers (ROW EXCLUSIVE) but not with plain reads nor with row locks (ROW
-- SHARE): reads go on, and so do decisions, whose row in loan_decisions locks its customer FOR
-- KEY SHARE (the run's updates of customers never change a key, so they take FOR NO KEY
-- UPDATE, which does not conflict with it). Writers that lock a customer row and then write
-- loans take ROW EXCLUSIVE on both tables first, in this order (lock_customer.sql,
-- close_matured_loans.sql), so they queue behind a run instead of deadlocking with it.
LOCK TABLE customers, loans IN SHARE ROW EXCLUSIVE MODE;
