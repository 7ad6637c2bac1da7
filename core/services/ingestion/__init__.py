"""Spreadsheet ingestion (README, "Ingestion"), split by stage.

headers   the two files' columns and header matching
read      streaming rows out of a workbook (python-calamine) as COPY-ready text
stage     TEMP staging tables fed by COPY
validate  set-based validation in SQL and the problem report
load      the one-transaction upsert, loan id assignment and sequences
pipeline  one run from files to committed rows (what the Celery task calls)
runs      the ingestion_runs table
progress  progress state shared by the task and the command's progress bar
dispatch  enqueueing through the broker and waiting for the outcome
generate  sample workbooks in the real files' format
"""
