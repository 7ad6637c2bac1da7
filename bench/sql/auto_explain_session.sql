-- --profile of bench/ingest.py: every statement of the run (nested ones and trigger time too)
-- is EXPLAIN ANALYZEd by auto_explain and its plan sent to this client as a LOG notice.
LOAD 'auto_explain';
SET auto_explain.log_min_duration = '50ms';
SET auto_explain.log_analyze = on;
SET auto_explain.log_buffers = on;
SET auto_explain.log_triggers = on;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_timing = on;
SET client_min_messages = log;
