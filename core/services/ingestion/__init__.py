"""Spreadsheet ingestion (README, "Ingestion"): read → stage → validate → load, one module each;
columns defines the two files, pipeline runs them in one transaction, runs records each run in
ingestion_runs, dispatch enqueues a run and follows it to its end."""
