-- Move the identity sequence of loans past the fresh ids that assign_loan_ids.sql gave to
-- remapped loans (taken from the sequence's range), so POST /create-loan never picks one of
-- them. Never moves the sequence back, and leaves it untouched when it is already past (a second
-- run changes nothing). The last step of a run: sequences are not transactional, so nothing
-- before this touches them. (Customers need no such step: a file's Customer IDs are at most
-- 999,999,999, below every id the customers sequence hands out.)
-- (A sequence never called since its last RESTART hands out its START value next: the id before
-- that one counts as its last value.)
SELECT setval(q.seqrelid, s.max_id)
  FROM (SELECT max(loan_id) AS max_id FROM loans) AS s
  JOIN pg_sequence AS q ON q.seqrelid = pg_get_serial_sequence('loans', 'loan_id')::regclass
 WHERE s.max_id > coalesce(pg_sequence_last_value(q.seqrelid), q.seqstart - 1);
