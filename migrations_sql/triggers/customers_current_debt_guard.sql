/* Body of the BEFORE INSERT and BEFORE UPDATE row triggers on customers (declared in
   core/models.py). current_debt belongs to the loans triggers. The triggers' WHEN clauses call
   this only for a write of current_debt made outside any trigger (an insert with a debt other
   than 0, an update that changes it), which is refused. The repair command passes through
   pgtrigger's ignore mechanism. */
IF TG_OP = 'INSERT' THEN
    RAISE EXCEPTION 'customers.current_debt is maintained by the loans triggers; insert customers with current_debt 0'
      USING ERRCODE = 'integrity_constraint_violation';
END IF;
RAISE EXCEPTION 'customers.current_debt is maintained by the loans triggers and cannot be written directly'
  USING ERRCODE = 'integrity_constraint_violation',
        HINT = 'Run: python manage.py recompute_current_debt';
