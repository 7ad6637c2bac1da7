-- Memory for the run's transaction only (set_config(..., true) is SET LOCAL): the sorts and
-- hashes over the staged rows (file_problems, assign_loan_ids, insert_loans) stay in memory
-- instead of spilling to disk. Costs PostgreSQL backend memory while the run lasts, not
-- worker memory.
-- Parameters: work_mem (setting INGEST_WORK_MEM).
SELECT set_config('work_mem', %(work_mem)s, true);
