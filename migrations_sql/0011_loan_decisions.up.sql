-- Constraints on loan_decisions that Django's model layer cannot express.

-- The customer of a decision, refused immediately (not at commit) when a customer with
-- decisions is deleted: the log must keep saying whom it decided about.
ALTER TABLE loan_decisions
    ADD CONSTRAINT loan_decisions_customer_id_fkey FOREIGN KEY (customer_id)
        REFERENCES customers (customer_id) ON DELETE RESTRICT;

-- The loan an approved create made: a loan with a decision on record cannot be deleted.
ALTER TABLE loan_decisions
    ADD CONSTRAINT loan_decisions_loan_id_fkey FOREIGN KEY (loan_id)
        REFERENCES loans (loan_id) ON DELETE RESTRICT;

-- reasons is a JSON array (of {rule, message} objects).
ALTER TABLE loan_decisions
    ADD CONSTRAINT loan_decisions_reasons_array CHECK (jsonb_typeof(reasons) = 'array');
