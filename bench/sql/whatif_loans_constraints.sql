-- The indexes and key constraints of loans, as statements that recreate them (read before a
-- variant drops them).
SELECT 'constraint', conname,
       'ALTER TABLE loans ADD CONSTRAINT ' || quote_ident(conname) || ' '
           || pg_get_constraintdef(oid)
  FROM pg_constraint
 WHERE conrelid = 'loans'::regclass AND contype IN ('p', 'u', 'f')
UNION ALL
SELECT 'index', c.relname, pg_get_indexdef(i.indexrelid)
  FROM pg_index AS i
  JOIN pg_class AS c ON c.oid = i.indexrelid
 WHERE i.indrelid = 'loans'::regclass
   AND NOT EXISTS (SELECT 1 FROM pg_constraint AS k WHERE k.conindid = i.indexrelid);
