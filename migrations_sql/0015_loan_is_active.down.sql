DROP FUNCTION IF EXISTS loan_is_active(date);
