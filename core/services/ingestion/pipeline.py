"""One ingestion run (what the Celery task calls): read (read.py) → stage → validate → load
(steps.py), all or nothing, in one transaction holding an advisory lock (runs are serialized);
the run is recorded in ingestion_runs outside it (runs.py). The cell rules and the checks no
constraint makes judge every run; the rules across rows, which the load's own constraints (keys,
checks, the foreign key) enforce as well, run only to name the rows of a load they refused."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction

from core.models import MAX_TENURE_MONTHS
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
    # calamine parses without the GIL: the loan workbook (seconds at 1M rows) is parsed in a
    # thread while the customer file is staged (leaving the pool waits for it, error or not).
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
            # The customer file is judged and, when it passes, loaded while the loan workbook
            # is still being parsed (PostgreSQL would sit idle); writers wait from here on.
            steps.check_cells(cursor, CUSTOMERS)
            steps.run_sql(cursor, "lock_tables")
            steps.run_sql(cursor, "database_problems")  # (under the lock: true until commit)
            refusal = loaded = None
            if steps.problem_report(cursor, [customers]) is None:
                refusal, loaded = _load(steps.load_customers, cursor)
            tracker.set_stage("opening the loan workbook")
            loans = loans_opened.result()
            steps.copy_rows(cursor, loans, tracker)
            tracker.set_stage("validating")
            steps.check_cells(cursor, LOANS)
            if loaded is not None and steps.problem_report(cursor, [customers, loans]) is None:
                tracker.set_stage("loading")
                refusal, result = _load(lambda c: steps.load_loans(c, loaded), cursor)
                if refusal is None:
                    return result
            steps.run_sql(cursor, "file_problems", {"max_tenure": MAX_TENURE_MONTHS})
            report = steps.problem_report(cursor, [customers, loans])
            if report is None:  # (refused by a constraint no rule names: not expected)
                raise refusal or IngestionFailed("ingestion refused by the database")
            raise IngestionFailed(report)


def _load(write: Callable, cursor) -> tuple[DatabaseError | None, Any]:
    """(None, write(cursor)) or, when the database refused the data (SQLSTATE classes 21, 22,
    23), (the error, None): in a savepoint, which leaves the staged rows for the rules."""
    try:
        with transaction.atomic():
            return None, write(cursor)
    except DatabaseError as exc:
        if (getattr(exc.__cause__, "pgcode", None) or "")[:2] not in ("21", "22", "23"):
            raise
        return exc, None
