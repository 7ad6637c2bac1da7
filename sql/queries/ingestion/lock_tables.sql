-- From here to commit, nobody else writes customers or loans (plain reads go on): the checks
-- against existing rows, the loan ids chosen and the sequences moved stay true until commit.
-- EXCLUSIVE also waits for transactions holding customer row locks (create-loan), so the
-- upsert never deadlocks with them.
LOCK TABLE customers, loans IN EXCLUSIVE MODE;
