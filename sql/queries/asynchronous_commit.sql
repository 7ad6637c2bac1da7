-- For the current transaction only: COMMIT returns before its WAL reaches the disk. Used for
-- check-eligibility's decision rows alone (see core/services/decisions.py): a database crash
-- can lose the last few hundred milliseconds of such rows, never part of one, and never a loan
-- or a create's decision, whose transactions commit synchronously.
SET LOCAL synchronous_commit = off;
