-- Reverse of 0007_service_ids.up.sql: a RESTART begins at 1 again. The sequences keep their
-- position: moving them back could hand out an id that is already in use.
ALTER TABLE customers ALTER COLUMN customer_id SET START WITH 1;
ALTER TABLE loans ALTER COLUMN loan_id SET START WITH 1;

COMMENT ON COLUMN customers.customer_id IS 'Customer number (identity; file ids are kept).';
COMMENT ON COLUMN loans.loan_id IS 'Loan number (identity; a file Loan ID is kept when free).';
