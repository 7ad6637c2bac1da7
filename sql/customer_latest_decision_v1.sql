-- customer_latest_decision, version 1: each customer's most recent decision in the decision
-- log (loan_decisions), check or create, without the operational columns (request id, API key
-- name). Customers never decided on have no row.
CREATE VIEW customer_latest_decision AS
SELECT DISTINCT ON (d.customer_id)
       d.customer_id,
       d.decision_id,
       d.decided_at,
       d.kind,
       d.approved,
       d.loan_amount,
       d.interest_rate,
       d.tenure,
       d.credit_score,
       d.slab,
       d.corrected_interest_rate,
       d.monthly_installment,
       ARRAY(SELECT r.item ->> 'rule' FROM jsonb_array_elements(d.reasons) WITH ORDINALITY AS r (item, n)
              ORDER BY r.n)                                                   AS declined_rules,
       d.offer_loan_amount,
       d.offer_tenure,
       d.loan_id,
       d.policy_version
  FROM loan_decisions AS d
 ORDER BY d.customer_id, d.decision_id DESC;

COMMENT ON VIEW customer_latest_decision IS
    'One row per customer with a decision: the latest one (highest decision_id) in the decision log loan_decisions. Version 1.';
COMMENT ON COLUMN customer_latest_decision.customer_id IS 'The customer (customers.customer_id).';
COMMENT ON COLUMN customer_latest_decision.decision_id IS 'The latest decision about the customer (loan_decisions.decision_id).';
COMMENT ON COLUMN customer_latest_decision.decided_at IS 'When it was made.';
COMMENT ON COLUMN customer_latest_decision.kind IS 'check (POST /check-eligibility) or create (POST /create-loan).';
COMMENT ON COLUMN customer_latest_decision.approved IS 'True when every rule passed.';
COMMENT ON COLUMN customer_latest_decision.loan_amount IS 'Requested principal.';
COMMENT ON COLUMN customer_latest_decision.interest_rate IS 'Requested annual rate in percent.';
COMMENT ON COLUMN customer_latest_decision.tenure IS 'Requested number of monthly installments.';
COMMENT ON COLUMN customer_latest_decision.credit_score IS 'The credit score it was decided with.';
COMMENT ON COLUMN customer_latest_decision.slab IS 'The score slab that applied.';
COMMENT ON COLUMN customer_latest_decision.corrected_interest_rate IS 'The rate decided on (the slab minimum when the request was below it).';
COMMENT ON COLUMN customer_latest_decision.monthly_installment IS 'EMI of the request at corrected_interest_rate.';
COMMENT ON COLUMN customer_latest_decision.declined_rules IS 'Codes of the failed rules in the order the API named them (credit_score, interest_rate, affordability, credit_limit); empty when approved.';
COMMENT ON COLUMN customer_latest_decision.offer_loan_amount IS 'Counter-offer: the largest amount approved at the requested tenure; null without one.';
COMMENT ON COLUMN customer_latest_decision.offer_tenure IS 'Counter-offer: the shortest tenure approving the requested amount; null without one.';
COMMENT ON COLUMN customer_latest_decision.loan_id IS 'The loan an approved create made; null otherwise.';
COMMENT ON COLUMN customer_latest_decision.policy_version IS 'The rule set that decided.';
