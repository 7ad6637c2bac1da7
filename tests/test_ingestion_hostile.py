"""Hostile or broken files and lost services: bounded sizes before parsing, staging in blocks,
bounded reports, implausible dates, best-effort progress, bounded redelivery and abandoned runs
(README, "Ingestion": "Limits on files", "When the worker or Redis fails")."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
import redis
from django.db import IntegrityError, connection

from core.management import ingest_wait
from core.models import Customer, IngestionRun, Loan
from core.services.ingestion import read, runs
from core.services.ingestion.columns import CUSTOMERS, LOANS
from core.services.ingestion.errors import MAX_REPORTED_VALUE_CHARS, IngestionFailed
from core.services.ingestion.pipeline import IngestionResult, run_ingestion
from tests.conftest import connect_separately
from tests.ingestion_support import (
    REAL_CUSTOMERS,
    REAL_LOANS,
    database_state,
    needs_real_files,
    refused,
    variant,
)

# Tests of the reader and the staging stream alone need no database; the others mark it.
in_database = pytest.mark.django_db(transaction=True)


# --- staging hands COPY whole blocks of rows -----------------------------------------------------


def test_copy_source_hands_out_every_line_in_blocks_of_rows_whatever_size_is_asked():
    lines = [f"{n}\tx\n" for n in range(2500)] + ["2500\t" + "z" * 1_000_000 + "\n"]
    seen: list[int] = []
    source = read.CopySource(iter(lines), seen.append)
    blocks = []
    while block := source.read(7):
        blocks.append(block)
    assert "".join(blocks) == "".join(lines)
    assert len(blocks) == 3 and seen == [1000, 2000, 2501] and source.rows == 2501


def test_copy_source_keeps_the_readers_own_error():
    def lines():
        yield "2\tx\n"
        raise IngestionFailed("the reader's own failure")

    source = read.CopySource(lines(), lambda rows: None)
    with pytest.raises(IngestionFailed):
        source.read(65536)
    assert str(source.error) == "the reader's own failure"


# --- size bounds, checked before calamine parses anything ---------------------------------------


@pytest.fixture
def calamine_must_not_run(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("calamine opened a workbook over the bounds")

    monkeypatch.setattr(read.CalamineWorkbook, "from_path", refuse)


@in_database
@needs_real_files
@pytest.mark.parametrize(
    ("bound", "value", "words"),
    [
        ("MAX_WORKBOOK_BYTES", 10_000, "a workbook may have"),
        ("MAX_UNPACKED_BYTES", 50_000, "unpacks to"),
        ("MAX_SHARED_STRINGS_BYTES", 5_000, "holds text cells (xl/sharedStrings.xml)"),
    ],
)
def test_a_workbook_over_a_size_bound_is_refused_before_parsing(
    monkeypatch, calamine_must_not_run, bound, value, words
):
    monkeypatch.setattr(read, bound, value)
    failure = refused()
    assert f"customers file {REAL_CUSTOMERS}" in str(failure) and words in str(failure)
    run = IngestionRun.objects.get()
    assert run.status == "failed" and run.error_report["refused"] is True
    assert Customer.objects.count() == 0


@needs_real_files
def test_the_real_files_are_within_every_bound():
    read.check_sizes(REAL_CUSTOMERS, CUSTOMERS)
    read.check_sizes(REAL_LOANS, LOANS)


def test_a_huge_text_cell_is_cut_before_staging():
    assert read.cell_text("  " + "n" * 50_000) == "n" * (read.MAX_CELL_CHARS + 1)
    assert read.cell_text(" Aaron ") == "Aaron"


@in_database
@needs_real_files
def test_a_huge_cell_is_refused_and_reported_cut_to_a_bounded_length(tmp_path):
    name = "N" * 20_000
    customers = variant(REAL_CUSTOMERS, tmp_path / "c.xlsx", lambda s: s.__setitem__("B2", name))
    [problem] = refused(customers=customers).report.problems
    assert (problem.row, problem.column) == (2, 'B "First Name"')
    assert problem.reason.startswith("longer than")
    assert problem.value == "N" * MAX_REPORTED_VALUE_CHARS + "…"
    stored = IngestionRun.objects.get().error_report["problems"][0]["value"]
    assert stored == problem.value


# --- implausible dates ----------------------------------------------------------------------------


@in_database
@needs_real_files
@pytest.mark.parametrize(
    ("cell", "day"),
    [
        ("H2", "1850-03-01"),  # text: Excel has no date before 1900
        ("I2", dt.date(9999, 12, 31)),
    ],
)
def test_dates_outside_1900_to_2199_are_refused(tmp_path, cell, day):
    loans = variant(REAL_LOANS, tmp_path / "l.xlsx", lambda s: s.__setitem__(cell, day))
    problems = refused(loans=loans).report.problems
    column = 'H "Date of Approval"' if cell == "H2" else 'I "End Date"'
    assert (2, column, "must be between 1900-01-01 and 2199-12-31") in [
        (p.row, p.column, p.reason) for p in problems
    ]
    assert Loan.objects.count() == 0


# --- progress is best-effort -----------------------------------------------------------------


@in_database
@needs_real_files
def test_a_lost_result_backend_neither_fails_the_load_nor_the_task(monkeypatch, caplog):
    from core import tasks

    def lost(*args, **kwargs):
        raise redis.ConnectionError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(tasks.ingest_data.backend, "store_result", lost)
    outcome = tasks.ingest_data.apply(
        args=[str(REAL_CUSTOMERS), str(REAL_LOANS)], task_id=str(uuid.uuid4())
    )
    assert outcome.successful(), outcome.traceback
    assert outcome.result["loans_inserted"] == 782
    assert "could not publish progress" in caplog.text
    assert IngestionRun.objects.get().status == "succeeded"


# --- a run whose worker died: bounded redelivery, abandoned runs -----------------------------


@in_database
@needs_real_files
def test_a_run_delivered_again_after_its_worker_died_gives_up_after_a_bound():
    task_id = str(uuid.uuid4())
    runs.record_queued(task_id, REAL_CUSTOMERS, REAL_LOANS)
    for _ in range(runs.MAX_ATTEMPTS):  # each attempt's worker died mid-run (lock released)
        runs.release_run(runs.start_run(task_id, REAL_CUSTOMERS, REAL_LOANS))
    before = database_state()

    with pytest.raises(IngestionFailed, match="gave up"):
        run_ingestion(REAL_CUSTOMERS, REAL_LOANS, task_id=task_id)
    run = IngestionRun.objects.get(task_id=task_id)
    assert (run.status, run.attempts) == ("failed", runs.MAX_ATTEMPTS + 1)
    assert "3 attempts" in run.error_report["message"]
    assert database_state() == before


@in_database
@needs_real_files
def test_the_last_allowed_attempt_still_runs():
    task_id = str(uuid.uuid4())
    for _ in range(runs.MAX_ATTEMPTS - 1):
        runs.release_run(runs.start_run(task_id, REAL_CUSTOMERS, REAL_LOANS))
    assert run_ingestion(REAL_CUSTOMERS, REAL_LOANS, task_id=task_id).loans_inserted == 782


def running_row_of_a_dead_worker() -> IngestionRun:
    task_id = str(uuid.uuid4())
    run = runs.start_run(task_id, REAL_CUSTOMERS, REAL_LOANS)
    runs.release_run(run)  # what PostgreSQL does when the worker's connection dies
    return run


@in_database
@needs_real_files
def test_wait_reports_a_run_whose_worker_died_instead_of_hanging():
    run = running_row_of_a_dead_worker()
    outcome = ingest_wait.wait_for_ingestion(run.task_id, lambda meta: None, timeout=10)
    assert not outcome.succeeded
    assert "stopped before the run ended" in outcome.report.message
    run.refresh_from_db()
    assert run.status == "failed" and run.error_report["abandoned"] is True
    assert run.error_report["refused"] is False  # the same files may be run again


@in_database
@needs_real_files
def test_a_running_run_whose_lock_is_held_is_not_abandoned():
    run = running_row_of_a_dead_worker()
    holder = connect_separately()  # a live worker's session holding the run's lock
    try:
        with holder.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_lock('ingestion_runs'::regclass::oid::integer, %s)", [run.pk]
            )
        with pytest.raises(ingest_wait.WaitTimedOut):
            ingest_wait.wait_for_ingestion(run.task_id, lambda meta: None, timeout=2.5)
        assert runs.mark_abandoned() == []
        run.refresh_from_db()
        assert run.status == "running"
    finally:
        holder.close()
    deadline = time.monotonic() + 30  # its session is gone (the backend exits on its own time)
    while not (marked := runs.mark_abandoned()):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert marked == [run.pk]
    with connection.cursor() as cursor:
        cursor.execute("SELECT status FROM ingestion_runs WHERE id = %s", [run.pk])
        assert cursor.fetchone()[0] == "failed"


def succeeded_run_whose_result_was_lost() -> IngestionRun:
    """A run that committed and recorded its success, while its task's result never reached
    the result backend (Redis lost, or come back empty)."""
    task_id = str(uuid.uuid4())
    runs.record_queued(task_id, REAL_CUSTOMERS, REAL_LOANS)
    run = runs.start_run(task_id, REAL_CUSTOMERS, REAL_LOANS)
    counts = {"customers_inserted": 300, "customers_updated": 0, "loans_inserted": 782}
    result = IngestionResult(**counts, loans_updated=0, ids_remapped=29, run_id=run.pk,
                             rows_read=1100, customer_rows=300, loan_rows=800)  # fmt: skip
    runs.succeed_run(run, result)
    runs.release_run(run)
    return IngestionRun.objects.get(pk=run.pk)


@in_database
@needs_real_files
def test_wait_reads_the_outcome_from_the_run_row_when_the_task_state_was_lost():
    run = succeeded_run_whose_result_was_lost()  # its state stays PENDING for good
    lines = []
    outcome = ingest_wait.wait_for_ingestion(run.task_id, lines.append, worker_timeout=5)
    assert outcome.succeeded
    assert outcome.result == run.result
    assert outcome.result["loans_inserted"] == 782 and outcome.result["rows_inserted"] == 1082
    assert lines[-1]["loans"] == {"done": 800, "total": 800}  # the final line, from the row


@in_database
@needs_real_files
def test_a_run_recorded_succeeded_is_not_reported_failed_when_storing_its_result_failed():
    run = succeeded_run_whose_result_was_lost()
    backend = ingest_wait.current_app.backend
    backend.store_result(run.task_id, ConnectionError("Redis lost while storing"), "FAILURE")
    try:
        outcome = ingest_wait.wait_for_ingestion(run.task_id, lambda meta: None, timeout=10)
    finally:
        backend.forget(run.task_id)
    assert outcome.succeeded and outcome.result["rows_inserted"] == 1082


@in_database
def test_a_succeeded_run_without_its_result_is_refused_by_the_database():
    run = runs.record_queued(str(uuid.uuid4()), REAL_CUSTOMERS, REAL_LOANS)
    with pytest.raises(IntegrityError, match="ingestion_runs_succeeded_has_result"):
        IngestionRun.objects.filter(pk=run.pk).update(status="succeeded")
