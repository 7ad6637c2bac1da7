DROP VIEW IF EXISTS customer_credit_scores;
DROP VIEW IF EXISTS customer_credit_features;
