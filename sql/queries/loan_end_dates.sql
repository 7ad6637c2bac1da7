-- For the sample generator: loan_end_date(start, tenure) of each pair, in the order given, so
-- sample files follow the same month rule as the loans_end_date_matches_tenure constraint.
SELECT loan_end_date(u.start_date, u.tenure)
  FROM unnest(%(start_dates)s::date[], %(tenures)s::integer[])
       WITH ORDINALITY AS u (start_date, tenure, position)
 ORDER BY u.position;
