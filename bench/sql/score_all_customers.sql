-- Scoring every customer through the analysts' view (SPEC §4), as bench/api.py reports it.
SELECT count(*), avg(credit_score) FROM customer_credit_scores;
