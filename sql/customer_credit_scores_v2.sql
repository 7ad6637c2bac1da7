-- customer_credit_scores, version 2: the credit score formula, the only place it lives.
-- Version 1 with one column added at the end, over_limit, so that the over-limit rule is
-- stated once and read by everyone who needs to know whether it applied (GET /credit-score).
-- The score itself is computed exactly as in version 1:
--   repayment_points = 40 x on_time_ratio, or 20 when nothing is due yet
--   history_points   = 4 per loan taken, at most 20
--   activity_points  = 20 - 5 per loan started this calendar year, at least 0
--   volume_points    = 20 x (1 - min(1, current_debt / approved_limit)); 20 when current_debt is 0
--   credit_score     = the sum rounded half up; 0 whenever current_debt > approved_limit
-- CREATE OR REPLACE keeps the view's grants (the analyst role's SELECT).
CREATE OR REPLACE VIEW customer_credit_scores AS
SELECT f.customer_id,
       p.repayment_points,
       p.history_points,
       p.activity_points,
       p.volume_points,
       (CASE WHEN o.over_limit THEN 0
             ELSE round(p.repayment_points + p.history_points
                        + p.activity_points + p.volume_points)
        END)::integer AS credit_score,
       o.over_limit
  FROM customer_credit_features AS f
 CROSS JOIN LATERAL (SELECT f.current_debt > f.approved_limit AS over_limit) AS o
 CROSS JOIN LATERAL (
       SELECT coalesce(40 * f.on_time_ratio, 20)::numeric              AS repayment_points,
              least(4 * f.loans_taken, 20)::numeric                    AS history_points,
              greatest(20 - 5 * f.loans_this_year, 0)::numeric         AS activity_points,
              (CASE WHEN f.current_debt = 0 THEN 20
                    WHEN f.current_debt >= f.approved_limit THEN 0
                    ELSE 20 * (1 - f.current_debt / f.approved_limit)
               END)::numeric                                           AS volume_points
       ) AS p;

COMMENT ON VIEW customer_credit_scores IS
    'One row per customer: the credit score (integer 0-100), the four components it is the rounded sum of, and whether the over-limit rule set it to 0. Version 2.';
COMMENT ON COLUMN customer_credit_scores.customer_id IS 'The customer (customers.customer_id).';
COMMENT ON COLUMN customer_credit_scores.repayment_points IS '40 x on_time_ratio; 20 when no installment is due yet. 0-40.';
COMMENT ON COLUMN customer_credit_scores.history_points IS '4 per loan taken (active or closed), at most 20.';
COMMENT ON COLUMN customer_credit_scores.activity_points IS '20 - 5 per loan started in the current calendar year, at least 0.';
COMMENT ON COLUMN customer_credit_scores.volume_points IS '20 x (1 - min(1, current_debt / approved_limit)); 20 when current_debt is 0.';
COMMENT ON COLUMN customer_credit_scores.credit_score IS 'Sum of the four points rounded half up (64.5 -> 65); 0 whenever current_debt > approved_limit. A customer with no loans scores 60.';
COMMENT ON COLUMN customer_credit_scores.over_limit IS 'True when current_debt > approved_limit: the over-limit rule, which sets credit_score to 0 whatever the points.';
