-- The server's version and the settings that matter to a benchmark (printed with every run).
SELECT name, setting, unit FROM pg_settings WHERE name IN ('server_version', 'shared_buffers',
       'work_mem', 'maintenance_work_mem', 'max_wal_size', 'synchronous_commit');
