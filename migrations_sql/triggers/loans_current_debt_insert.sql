/* Body of the AFTER INSERT statement trigger on loans (declared in core/models.py).
   Adds, per customer, the sum of the active inserted loans to current_debt. Adding a delta
   (instead of recomputing a sum) composes correctly when two transactions write loans of one
   customer at once. Block comments only: django-pgtrigger folds the body onto one line. */
UPDATE customers AS c
   SET current_debt = c.current_debt + d.delta
  FROM (SELECT customer_id, sum(loan_amount) AS delta
          FROM new_rows
         WHERE is_active
         GROUP BY customer_id) AS d
 WHERE c.customer_id = d.customer_id
   AND d.delta <> 0;
RETURN NULL;
