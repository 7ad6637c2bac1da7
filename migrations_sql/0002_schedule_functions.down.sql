DROP FUNCTION IF EXISTS loan_installments_due(date, integer, date);
DROP FUNCTION IF EXISTS loan_months_elapsed(date, date);
DROP FUNCTION IF EXISTS loan_end_date(date, integer);
DROP FUNCTION IF EXISTS credit_today();
