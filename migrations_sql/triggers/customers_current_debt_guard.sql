/* Body of the BEFORE INSERT OR UPDATE row trigger on customers (declared in core/models.py).
   current_debt belongs to the loans triggers: a write from any other place (trigger depth < 2)
   is refused. The repair command passes through pgtrigger's ignore mechanism. */
IF TG_OP = 'INSERT' THEN
    IF NEW.current_debt <> 0 AND pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'customers.current_debt is maintained by the loans triggers; insert customers with current_debt 0'
          USING ERRCODE = 'integrity_constraint_violation';
    END IF;
ELSIF NEW.current_debt IS DISTINCT FROM OLD.current_debt AND pg_trigger_depth() < 2 THEN
    RAISE EXCEPTION 'customers.current_debt is maintained by the loans triggers and cannot be written directly'
      USING ERRCODE = 'integrity_constraint_violation',
            HINT = 'Run: python manage.py recompute_current_debt';
END IF;
RETURN NEW;
