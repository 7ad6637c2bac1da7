ALTER TABLE loan_decisions DROP CONSTRAINT IF EXISTS loan_decisions_reasons_array;
ALTER TABLE loan_decisions DROP CONSTRAINT IF EXISTS loan_decisions_customer_id_fkey;
ALTER TABLE loan_decisions DROP CONSTRAINT IF EXISTS loan_decisions_loan_id_fkey;
