-- view-statement: the loan's schedule as of credit_today() (loan_schedule,
-- sql/loan_ledger_v1.sql) in one pass: every installment as a JSON array (row_to_json: the
-- function's columns as keys, numbers exactly as numeric prints them, dates as YYYY-MM-DD),
-- and the totals the statement shows. A statement has up to 600 lines; building them here
-- keeps the request's cost near one small query's.
-- Parameter: loan_id.
SELECT '[' || coalesce(string_agg(row_to_json(s)::text, ',' ORDER BY s.installment_number), '')
           || ']',
       coalesce(sum(s.amount_paid) FILTER (WHERE p.paid), 0)::numeric(20, 2),
       (array_agg(s.balance ORDER BY s.installment_number DESC) FILTER (WHERE p.paid))[1],
       min(s.due_date) FILTER (WHERE NOT p.paid),
       (array_agg(s.balance + s.principal + s.interest ORDER BY s.installment_number)
            FILTER (WHERE NOT p.paid))[1]
  FROM loan_schedule(%(loan_id)s) AS s
 CROSS JOIN LATERAL (SELECT s.status IN ('paid_on_time', 'paid_late') AS paid) AS p;
