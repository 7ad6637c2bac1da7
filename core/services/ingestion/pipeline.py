"""One ingestion run, from two workbooks to committed rows (what the Celery task calls):
read (read.py) → stage → validate → load (steps.py).

All-or-nothing: the run's rows are read, staged, validated and written inside one transaction
that holds an advisory lock (runs are serialized); a refused or failed run rolls back and
leaves customers, loans and their sequences exactly as they were. The run itself is recorded
in ingestion_runs outside that transaction (runs.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

from core.services.ingestion import runs, steps
from core.services.ingestion.columns import CUSTOMERS, LOANS, InputFile
from core.services.ingestion.errors import FailureReport, IngestionFailed
from core.services.ingestion.progress import Meta, ProgressTracker
from core.services.ingestion.read import SheetRows, open_sheet

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestionResult(steps.LoadCounts):
    run_id: int = 0
    rows_read: int = 0  # non-empty data rows of both files ...
    customer_rows: int = 0  # ... of the customer file
    loan_rows: int = 0  # ... of the loan file

    @property
    def rows_inserted(self) -> int:
        return self.customers_inserted + self.loans_inserted

    @property
    def rows_updated(self) -> int:
        return self.customers_updated + self.loans_updated

    def as_dict(self) -> dict[str, int]:
        totals = {"rows_inserted": self.rows_inserted, "rows_updated": self.rows_updated}
        return asdict(self) | totals


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
        counts = _ingest(customers_file, loans_file, tracker)
        read = tracker.read
        result = IngestionResult(
            **asdict(counts), run_id=run.pk, rows_read=tracker.rows_read,
            customer_rows=read["customers"], loan_rows=read["loans"],
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


def _ingest(customers_file: Path, loans_file: Path, tracker: ProgressTracker) -> steps.LoadCounts:
    tracker.set_stage("opening the workbooks")
    with (
        _opened_in_background(
            loans_file, LOANS, lambda rows: tracker.set_totals(loans=rows.total_rows)
        ) as loans_opened,
        open_sheet(customers_file, CUSTOMERS) as customers,
    ):
        tracker.set_totals(customers=customers.total_rows)
        with transaction.atomic(), connection.cursor() as cursor:
            tracker.set_stage("waiting for any other run to finish")
            steps.run_sql(cursor, "advisory_lock")
            steps.run_sql(cursor, "run_settings", {"work_mem": settings.INGEST_WORK_MEM})
            steps.create_staging(cursor)
            steps.copy_rows(cursor, customers, tracker)
            # (while the loan workbook is still being parsed, PostgreSQL otherwise idle)
            steps.check_cells(cursor, CUSTOMERS)
            tracker.set_stage("opening the loan workbook")
            loans = loans_opened()
            steps.copy_rows(cursor, loans, tracker)
            tracker.set_stage("validating")
            steps.check_cells(cursor, LOANS)
            steps.check_files(cursor)
            steps.run_sql(cursor, "lock_tables")
            steps.check_against_database(cursor)
            report = steps.problem_report(cursor, [customers, loans])
            if report is not None:
                raise IngestionFailed.from_report(report)
            tracker.set_stage("loading")
            return steps.load(cursor)


@contextmanager
def _opened_in_background(
    path: Path, file: InputFile, on_open: Callable[[SheetRows], None]
) -> Iterator[Callable[[], SheetRows]]:
    """Open a workbook (open_sheet) in a thread, then call on_open (there) with its rows;
    yields a function that waits for them.

    python-calamine parses a sheet without holding the GIL, so the loan workbook (at 1M rows,
    seconds of parsing) is parsed while the customer file is read and staged. The workbook is
    closed, and the thread joined, on leaving.
    """

    def open_it() -> SheetRows:
        rows = stack.enter_context(open_sheet(path, file))
        on_open(rows)
        return rows

    with ExitStack() as stack, ThreadPoolExecutor(1, thread_name_prefix="open-sheet") as pool:
        opened = pool.submit(open_it)
        try:
            yield opened.result
        finally:
            wait([opened])  # (an error raised meanwhile still waits for the parse to end)
