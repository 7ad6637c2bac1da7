-- The repayments constraint Django's model layer cannot express: its loan, named, refused
-- immediately (ON DELETE RESTRICT) when a loan with payments is deleted.
ALTER TABLE repayments
    ADD CONSTRAINT repayments_loan_id_fkey FOREIGN KEY (loan_id)
        REFERENCES loans (loan_id) ON DELETE RESTRICT;
