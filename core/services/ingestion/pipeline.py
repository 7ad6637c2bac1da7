"""One ingestion run (what the Celery task calls): read (read.py) → stage → validate → load
(steps.py), all or nothing: in one transaction holding an advisory lock (runs are serialized),
so a refused or failed run leaves customers, loans and their sequences as they were. The run
is recorded in ingestion_runs outside that transaction (runs.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

from core.services.ingestion import runs, steps
from core.services.ingestion.columns import CUSTOMERS, LOANS
from core.services.ingestion.errors import FailureReport, IngestionFailed
from core.services.ingestion.progress import Meta, ProgressTracker
from core.services.ingestion.read import open_sheet
from core.services.ingestion.steps import IngestionResult

logger = logging.getLogger(__name__)


def run_ingestion(
    customers_file: Path,
    loans_file: Path,
    *,
    task_id: str | None = None,
    on_progress: Callable[[Meta], None] | None = None,
) -> IngestionResult:
    """Load both files or nothing. Raises IngestionFailed (with its report) when refused."""
    run = runs.start_run(task_id, customers_file, loans_file)
    tracker = ProgressTracker(on_progress)
    try:  # the run's row records how it ended before its lock is released
        read = tracker.read
        result = replace(
            _ingest(customers_file, loans_file, tracker), run_id=run.pk,
            rows_read=tracker.rows_read, customer_rows=read["customers"], loan_rows=read["loans"],
        )  # fmt: skip
        runs.succeed_run(run, result)
    except Exception as exc:
        refused = isinstance(exc, IngestionFailed)
        report = exc.report if refused else FailureReport(f"ingestion failed: {exc}")
        runs.fail_run(run, report, rows_read=tracker.rows_read, refused=refused)
        raise
    finally:
        runs.release_run(run)
    tracker.set_stage("succeeded")
    logger.info("ingestion run %s succeeded: %s", run.pk, result.as_dict())
    return result


def _ingest(customers_file: Path, loans_file: Path, tracker: ProgressTracker) -> IngestionResult:
    tracker.set_stage("opening the workbooks")
    # python-calamine parses a sheet without holding the GIL: the loan workbook (seconds at 1M
    # rows) is parsed in a thread while the customer file is staged. (Leaving the pool waits
    # for the parse, also after an error.)
    with ThreadPoolExecutor(1, thread_name_prefix="open-sheet") as pool:
        loans_opened = pool.submit(open_sheet, loans_file, LOANS)
        loans_opened.add_done_callback(
            lambda done: done.exception() or tracker.set_totals(loans=done.result().total_rows)
        )
        customers = open_sheet(customers_file, CUSTOMERS)
        tracker.set_totals(customers=customers.total_rows)
        with transaction.atomic(), connection.cursor() as cursor:
            tracker.set_stage("waiting for any other run to finish")
            steps.run_sql(cursor, "advisory_lock")
            steps.run_sql(cursor, "run_settings", {"work_mem": settings.INGEST_WORK_MEM})
            steps.create_staging(cursor)
            steps.copy_rows(cursor, customers, tracker)
            steps.check_cells(cursor, CUSTOMERS)  # (PostgreSQL is idle while the loans parse)
            tracker.set_stage("opening the loan workbook")
            loans = loans_opened.result()
            steps.copy_rows(cursor, loans, tracker)
            tracker.set_stage("validating")
            steps.check_cells(cursor, LOANS)
            steps.check_files(cursor)
            steps.run_sql(cursor, "lock_tables")
            steps.run_sql(cursor, "database_problems")  # (under the lock: true until commit)
            report = steps.problem_report(cursor, [customers, loans])
            if report is not None:
                raise IngestionFailed.from_report(report)
            tracker.set_stage("loading")
            return steps.load(cursor)
