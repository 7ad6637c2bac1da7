"""Spreadsheet ingestion (README, "Ingestion"): pipeline runs read (read.py) → stage →
validate → load (steps.py) in one transaction, over the two files columns.py defines; runs.py
enqueues a run and records it in ingestion_runs. (manage.py ingest_data --wait follows a run:
core/management/ingest_wait.py.)"""
