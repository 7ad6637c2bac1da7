-- The insert step of sql/queries/ingestion/insert_loans.sql, from already typed rows with their
-- ids, in the same order (customer, Loan ID).
INSERT INTO loans SELECT * FROM whatif_src ORDER BY customer_id, source_loan_id;
