/* Body of the BEFORE UPDATE OR DELETE OR TRUNCATE statement trigger on loan_decisions (declared
   in core/models.py). The decision log is a record of what was decided and why: rows are only
   ever added. Retention goes through `manage.py prune_decisions`, which alone passes this
   trigger (django-pgtrigger's ignore mechanism). */
RAISE EXCEPTION 'loan_decisions is append-only: % is refused', TG_OP
  USING ERRCODE = 'restrict_violation',
        HINT = 'Old decisions leave only through: python manage.py prune_decisions --older-than DAYS';
