-- Scoring every customer through the analysts' view, as bench/api.py reports it.
SELECT count(*), avg(credit_score) FROM customer_credit_scores;
