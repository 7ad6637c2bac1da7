-- Move the identity sequence of loans past the fresh ids assign_loan_ids.sql gave remapped
-- loans, so POST /create-loan never picks one; never back (a second run changes nothing). The
-- last step of a run: sequences are not transactional. (A file's Customer IDs are below every
-- id of the customers sequence.) A sequence never called since its last RESTART hands out its
-- START value next: the id before it counts as its last value.
SELECT setval(q.seqrelid, s.max_id)
  FROM (SELECT max(loan_id) AS max_id FROM loans) AS s
  JOIN pg_sequence AS q ON q.seqrelid = pg_get_serial_sequence('loans', 'loan_id')::regclass
 WHERE s.max_id > coalesce(pg_sequence_last_value(q.seqrelid), q.seqstart - 1);
