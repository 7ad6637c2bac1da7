-- The maturity sweep: a loan stops being active once its end_date has come. One statement, so
-- the loans UPDATE trigger lowers every affected customer's current_debt in one set-based step.
UPDATE loans
   SET is_active = false
 WHERE is_active
   AND end_date <= credit_today();
