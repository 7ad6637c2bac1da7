-- Constraints on loans that Django's model layer cannot express.

-- The customer of a loan, refused immediately (not at commit) when a customer with loans is
-- deleted.
ALTER TABLE loans
    ADD CONSTRAINT loans_customer_id_fkey FOREIGN KEY (customer_id)
        REFERENCES customers (customer_id) ON DELETE RESTRICT;

-- The end date is the start date plus tenure calendar months, month-end clamped.
ALTER TABLE loans
    ADD CONSTRAINT loans_end_date_matches_tenure
        CHECK (end_date = loan_end_date(start_date, tenure));
