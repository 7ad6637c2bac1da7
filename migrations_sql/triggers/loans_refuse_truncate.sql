/* Body of the BEFORE TRUNCATE statement trigger on loans (declared in core/models.py).
   TRUNCATE fires no row or DELETE triggers, so it would leave current_debt wrong. */
RAISE EXCEPTION 'TRUNCATE of loans is refused: it would bypass the current_debt triggers'
  USING ERRCODE = 'restrict_violation',
        HINT = 'DELETE FROM loans keeps customers.current_debt right.';
