-- A bulk load (load.py) drops and rebuilds the keys and indexes of loans, which takes ACCESS
-- EXCLUSIVE on loans and on customers (the foreign key's triggers live on both) until commit:
-- from here on, reads of either table wait for the run to end, where lock_tables.sql lets
-- them go on. Waits at most lock_timeout (shorter than PostgreSQL's deadlock_timeout, so a
-- reader that waits for this run is never the one a deadlock check cancels); load.py then
-- tries again, and after a few tries loads row by row instead. lock_timeout is put back.
-- Parameters: lock_timeout.
SELECT set_config('credit.saved_lock_timeout', current_setting('lock_timeout'), true),
       set_config('lock_timeout', %(lock_timeout)s, true);
LOCK TABLE loans, customers IN ACCESS EXCLUSIVE MODE;
SELECT set_config('lock_timeout', current_setting('credit.saved_lock_timeout'), true);
