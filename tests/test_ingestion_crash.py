"""A worker killed in the middle of an ingestion leaves nothing half-loaded; the next run works.

The run is held mid-way (files copied and validated, waiting for its table lock) by a
connection of the test, the worker is killed with SIGKILL, and the database must be exactly as
before. A new worker then completes a new run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from core.management.ingest_wait import wait_for_ingestion
from core.models import Customer, IngestionRun, Loan
from core.services.ingestion import runs
from core.services.maintenance import current_debt_drift
from tests.conftest import connect_separately
from tests.ingestion_support import REAL_CUSTOMERS, REAL_LOANS, needs_real_files
from tests.test_ingestion_worker import service_env

REPO = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True), needs_real_files]


def start_worker(log_path: Path) -> subprocess.Popen:
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker",
         "-Q", settings.CELERY_TASK_DEFAULT_QUEUE, "--pool=solo", "--concurrency=1",
         "--without-gossip", "--without-mingle", "--without-heartbeat",
         "-n", f"crash-test-{os.getpid()}-{time.monotonic_ns()}@%h", "--loglevel=INFO"],
        cwd=REPO, env=service_env(), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 180  # a loaded 2-core machine starts workers slowly
    while b" ready." not in log_path.read_bytes():
        assert process.poll() is None, log_path.read_text()
        assert time.monotonic() < deadline, log_path.read_text()
        time.sleep(0.2)
    return process


def sequence_values() -> list:
    """The identity sequences of customers and loans (ingestion_runs' moves with every run)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_serial_sequence(t, c), last_value FROM"
            " (VALUES ('customers', 'customer_id'), ('loans', 'loan_id')) AS v (t, c),"
            " LATERAL (SELECT last_value FROM pg_sequences"
            "  WHERE schemaname || '.' || sequencename = pg_get_serial_sequence(t, c)) AS s"
        )
        return cursor.fetchall()


def test_killed_worker_leaves_nothing_half_loaded(tmp_path):
    sequences_before = sequence_values()
    holder = connect_separately()
    worker = start_worker(tmp_path / "first.log")
    try:
        with holder.cursor() as cursor:  # lets the run stage customers, then blocks it
            cursor.execute("LOCK TABLE loans IN ROW EXCLUSIVE MODE")  # as a writer does
        task_id = runs.enqueue_ingestion(REAL_CUSTOMERS, REAL_LOANS)
        with connection.cursor() as cursor:  # the run's backend waits for its table lock
            deadline = time.monotonic() + 90
            while True:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                    " AND query LIKE '%LOCK TABLE customers, loans%'"
                )
                if cursor.fetchone()[0] == 1:
                    break
                assert time.monotonic() < deadline
                time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)  # no chance to clean up
        worker.wait(timeout=30)
    finally:
        holder.rollback()
        holder.close()
        if worker.poll() is None:
            worker.kill()

    # The killed run's backend goes away without committing anything.
    deadline = time.monotonic() + 30
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LOCK TABLE customers%%'"
                " AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] == 0:
                break
            assert time.monotonic() < deadline
            time.sleep(0.1)
    assert Customer.objects.count() == 0
    assert Loan.objects.count() == 0
    assert sequence_values() == sequences_before
    assert IngestionRun.objects.get(task_id=task_id).status == "running"  # it never finished
    # --wait does not hang on it: its lock went with the worker's connection (abandoned).
    outcome = wait_for_ingestion(task_id, lambda meta: None, timeout=30)
    assert not outcome.succeeded and "stopped before the run ended" in outcome.report.message
    assert IngestionRun.objects.get(task_id=task_id).error_report["abandoned"] is True

    # The next run, on a new worker, succeeds.
    worker = start_worker(tmp_path / "second.log")
    try:
        again = runs.enqueue_ingestion(REAL_CUSTOMERS, REAL_LOANS)
        outcome = wait_for_ingestion(again, lambda meta: None, timeout=120)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert outcome.succeeded, outcome.report
    assert (Customer.objects.count(), Loan.objects.count()) == (300, 782)
    assert current_debt_drift() == 0
