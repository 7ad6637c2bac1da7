/* Body of the AFTER DELETE statement trigger on loans (declared in core/models.py).
   Subtracts, per customer, the sum of the active deleted loans from current_debt. */
UPDATE customers AS c
   SET current_debt = c.current_debt - d.delta
  FROM (SELECT customer_id, sum(loan_amount) AS delta
          FROM old_rows
         WHERE is_active
         GROUP BY customer_id) AS d
 WHERE c.customer_id = d.customer_id
   AND d.delta <> 0;
RETURN NULL;
