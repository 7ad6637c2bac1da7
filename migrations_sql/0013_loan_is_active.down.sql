DROP VIEW IF EXISTS customer_active_debt;
DROP FUNCTION IF EXISTS loan_is_active(date);
