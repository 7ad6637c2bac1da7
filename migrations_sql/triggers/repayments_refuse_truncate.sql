/* Body of the BEFORE TRUNCATE statement trigger on repayments (declared in core/models.py).
   The ledger is append-only; TRUNCATE fires no row triggers, so it is refused here. */
RAISE EXCEPTION 'repayments is append-only: TRUNCATE is refused'
  USING ERRCODE = 'restrict_violation';
