-- One row of the decision log (core/services/decisions.py, record()). decision_id and
-- decided_at come from the table's defaults and are returned.
INSERT INTO loan_decisions (
    kind, customer_id, loan_amount, interest_rate, tenure, credit_score,
    repayment_points, history_points, activity_points, volume_points, slab,
    corrected_interest_rate, monthly_installment, current_emis, monthly_salary, current_debt,
    approved_limit, approved, reasons, message, offer_interest_rate, offer_loan_amount,
    offer_monthly_installment, offer_tenure, offer_tenure_monthly_installment, loan_id,
    request_id, api_key_name, policy_version
) VALUES (
    %(kind)s, %(customer_id)s, %(loan_amount)s, %(interest_rate)s, %(tenure)s, %(credit_score)s,
    %(repayment_points)s, %(history_points)s, %(activity_points)s, %(volume_points)s, %(slab)s,
    %(corrected_interest_rate)s, %(monthly_installment)s, %(current_emis)s, %(monthly_salary)s,
    %(current_debt)s, %(approved_limit)s, %(approved)s, %(reasons)s::jsonb, %(message)s,
    %(offer_interest_rate)s, %(offer_loan_amount)s, %(offer_monthly_installment)s,
    %(offer_tenure)s, %(offer_tenure_monthly_installment)s, %(loan_id)s, %(request_id)s,
    %(api_key_name)s, %(policy_version)s
)
RETURNING decision_id, decided_at;
