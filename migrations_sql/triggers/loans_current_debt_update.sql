/* Body of the AFTER UPDATE statement trigger on loans (declared in core/models.py).
   Per customer: + active new rows - active old rows. Covers changes of loan_amount, is_active
   and customer_id (the old customer loses the amount, the new one gains it). */
UPDATE customers AS c
   SET current_debt = c.current_debt + d.delta
  FROM (SELECT customer_id, sum(amount) AS delta
          FROM (SELECT customer_id, loan_amount AS amount FROM new_rows WHERE is_active
                UNION ALL
                SELECT customer_id, -loan_amount FROM old_rows WHERE is_active) AS changes
         GROUP BY customer_id) AS d
 WHERE c.customer_id = d.customer_id
   AND d.delta <> 0;
RETURN NULL;
