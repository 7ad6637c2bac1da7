ALTER TABLE loans DROP CONSTRAINT IF EXISTS loans_end_date_matches_tenure;
ALTER TABLE loans DROP CONSTRAINT IF EXISTS loans_customer_id_fkey;
