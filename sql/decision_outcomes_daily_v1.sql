-- decision_outcomes_daily, version 1: outcomes of the decision log (loan_decisions) per day,
-- kind of request, score slab and rule set. "Day" is the lender's calendar date (credit_day).
-- A declined request may fail several rules at once, so the declined_by_* counts of a row can
-- add up to more than its declined count.
CREATE VIEW decision_outcomes_daily AS
SELECT credit_day(d.decided_at)                                                  AS day,
       d.kind,
       d.slab,
       d.policy_version,
       count(*)::integer                                                         AS decisions,
       (count(*) FILTER (WHERE d.approved))::integer                             AS approved,
       (count(*) FILTER (WHERE NOT d.approved))::integer                         AS declined,
       (count(*) FILTER (WHERE d.reasons @> '[{"rule": "credit_score"}]'))::integer
                                                                                 AS declined_by_credit_score,
       (count(*) FILTER (WHERE d.reasons @> '[{"rule": "interest_rate"}]'))::integer
                                                                                 AS declined_by_interest_rate,
       (count(*) FILTER (WHERE d.reasons @> '[{"rule": "affordability"}]'))::integer
                                                                                 AS declined_by_affordability,
       (count(*) FILTER (WHERE d.reasons @> '[{"rule": "credit_limit"}]'))::integer
                                                                                 AS declined_by_credit_limit,
       (count(*) FILTER (WHERE d.offer_interest_rate IS NOT NULL))::integer      AS declined_with_offer,
       coalesce(sum(d.loan_amount) FILTER (WHERE d.approved), 0)::numeric(20, 2) AS approved_amount
  FROM loan_decisions AS d
 GROUP BY 1, d.kind, d.slab, d.policy_version;

COMMENT ON VIEW decision_outcomes_daily IS
    'Decision outcomes per day (credit_day of decided_at), kind, slab and policy_version, from the decision log loan_decisions. Version 1.';
COMMENT ON COLUMN decision_outcomes_daily.day IS 'The lender''s calendar date of the decisions (zone of credit.time_zone).';
COMMENT ON COLUMN decision_outcomes_daily.kind IS 'check (POST /check-eligibility) or create (POST /create-loan).';
COMMENT ON COLUMN decision_outcomes_daily.slab IS 'The score slab the customers were in: above 50, 30-50, 10-29, below 10.';
COMMENT ON COLUMN decision_outcomes_daily.policy_version IS 'The rule set that decided (score view version, slab table, 50 % rule).';
COMMENT ON COLUMN decision_outcomes_daily.decisions IS 'Decisions made: approved + declined.';
COMMENT ON COLUMN decision_outcomes_daily.approved IS 'Decisions approving the request (for create: a loan was made).';
COMMENT ON COLUMN decision_outcomes_daily.declined IS 'Decisions declining the request.';
COMMENT ON COLUMN decision_outcomes_daily.declined_by_credit_score IS 'Declines that failed the score rule (score below 10: no loans).';
COMMENT ON COLUMN decision_outcomes_daily.declined_by_interest_rate IS 'Declines whose rate was below the slab''s minimum.';
COMMENT ON COLUMN decision_outcomes_daily.declined_by_affordability IS 'Declines whose EMIs would exceed half the monthly salary.';
COMMENT ON COLUMN decision_outcomes_daily.declined_by_credit_limit IS 'Declines whose debt would exceed the approved limit.';
COMMENT ON COLUMN decision_outcomes_daily.declined_with_offer IS 'Declines answered with a counter-offer.';
COMMENT ON COLUMN decision_outcomes_daily.approved_amount IS 'Sum of loan_amount over the approved decisions.';
