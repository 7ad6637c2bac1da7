-- Undo 0009: the ledger views and functions, back to customer_credit_features version 1
-- (which the migration's reverse re-creates right after this file, then re-grants).
DROP VIEW IF EXISTS loan_balances;
DROP VIEW IF EXISTS customer_credit_scores;
DROP VIEW IF EXISTS customer_credit_features;
DROP FUNCTION IF EXISTS loan_schedule(bigint, date);
DROP FUNCTION IF EXISTS loan_repayments_left(bigint, bigint, date, integer, date);
DROP FUNCTION IF EXISTS loan_installments_settled(bigint, bigint, date, integer, date);
ALTER TABLE repayments DROP CONSTRAINT IF EXISTS repayments_loan_id_fkey;
