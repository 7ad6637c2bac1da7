"""Ingestion through a real Celery worker on the real Redis broker, and manage.py ingest_data.

The worker and the command run as subprocesses against the pytest database and this run's own
queue (CELERY_TASK_DEFAULT_QUEUE), so they see exactly what the tests see.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import openpyxl
import pytest
from django.conf import settings
from django.db import connection
from django.db.models import F

from core.management.ingest_wait import wait_for_ingestion
from core.models import Customer, IngestionRun, Loan
from core.services.ingestion import runs
from core.services.maintenance import current_debt_drift
from tests.conftest import connect_separately
from tests.ingestion_support import REAL_CUSTOMERS, REAL_LOANS, needs_real_files, variant

REPO = Path(__file__).resolve().parent.parent
TASK_ID = re.compile(r"queued ingestion task ([0-9a-f-]{36})")

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True), needs_real_files]


def service_env(**overrides: str) -> dict[str, str]:
    """The environment of a worker or command process that uses the pytest database."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = f"{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}"
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"postgres://{credentials}@{host}/{db['NAME']}",
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CELERY_RESULT_BACKEND=settings.CELERY_RESULT_BACKEND,
        CELERY_TASK_DEFAULT_QUEUE=settings.CELERY_TASK_DEFAULT_QUEUE,
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        DJANGO_DEBUG="false",
    )
    env.update(overrides)
    return env


@pytest.fixture(scope="module")
def celery_worker(django_db_setup, tmp_path_factory):
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "config", "worker",
                "-Q", settings.CELERY_TASK_DEFAULT_QUEUE, "--pool=solo", "--concurrency=1",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
                "-n", f"ingest-test-{os.getpid()}@%h", "--loglevel=INFO",
            ],
            cwd=REPO, env=service_env(), stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while b" ready." not in log_path.read_bytes():
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        process.log_path = log_path
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "ingest_data", *args],
        cwd=REPO, env=service_env(**env), capture_output=True, text=True, timeout=180,
    )  # fmt: skip


def hold_ingestion_lock():
    """Another run in progress: a connection holding the ingestion advisory lock."""
    holder = connect_separately()
    with holder.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock('ingestion_runs'::regclass::oid::integer, 0)")
    return holder


def test_task_runs_on_a_real_worker_with_progress_and_serialization(celery_worker):
    holder = hold_ingestion_lock()
    try:
        # Another run holds the lock: the worker's run waits, publishing its progress state.
        task_id = runs.enqueue_ingestion(REAL_CUSTOMERS, REAL_LOANS)
        result = runs.current_app.AsyncResult(task_id)
        deadline = time.monotonic() + 60
        # (the loan workbook opens in a thread of its own: its total may come a moment later)
        while not (
            result.state == "PROGRESS"
            and result.info["stage"].startswith("waiting")
            and result.info["loans"]["total"]
        ):
            assert time.monotonic() < deadline, (result.state, result.info)
            time.sleep(0.05)
        assert result.info["customers"] == {"done": 0, "total": 300}
        assert result.info["loans"] == {"done": 0, "total": 782}
        assert IngestionRun.objects.get(task_id=task_id).status == "running"
        assert Customer.objects.count() == 0
        holder.commit()
    finally:
        holder.close()

    seen: list[dict] = []
    outcome = wait_for_ingestion(task_id, seen.append, timeout=120)

    assert outcome.succeeded, outcome.report
    assert outcome.result["customers_inserted"] == 300
    assert outcome.result["loans_inserted"] == 782
    assert outcome.result["ids_remapped"] == 29
    assert Loan.objects.filter(loan_id=F("source_loan_id")).count() == 753
    assert current_debt_drift() == 0
    run = IngestionRun.objects.get(task_id=task_id)
    assert (run.status, run.rows_inserted, run.ids_remapped) == ("succeeded", 1082, 29)

    again = runs.enqueue_ingestion(REAL_CUSTOMERS, REAL_LOANS)
    second = wait_for_ingestion(again, seen.append, timeout=120)
    assert second.succeeded
    assert (second.result["rows_inserted"], second.result["rows_updated"]) == (0, 0)


def test_command_waits_with_a_progress_bar_and_reports_failures(celery_worker, tmp_path):
    holder = hold_ingestion_lock()  # keeps the run waiting, so its progress state is seen
    try:
        command = subprocess.Popen(
            [
                sys.executable, "manage.py", "ingest_data", "--customers", str(REAL_CUSTOMERS),
                "--loans", str(REAL_LOANS), "--wait", "--unless-succeeded", "--timeout", "120",
            ],
            cwd=REPO, env=service_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not IngestionRun.objects.filter(status="running").exists():
            assert time.monotonic() < deadline and command.poll() is None
            time.sleep(0.1)
        time.sleep(1)  # a few polls of the task state
        holder.commit()
    finally:
        holder.close()
    stdout, stderr = command.communicate(timeout=120)
    assert command.returncode == 0, stderr
    task_id = TASK_ID.search(stdout).group(1)
    assert "ingestion succeeded" in stdout
    assert "customers [--------------------] 0/300  loans [--------------------] 0/782" in stderr
    assert "customers [####################] 300/300  loans [####################] 782/782" in (
        stderr
    )
    assert IngestionRun.objects.get(task_id=task_id).status == "succeeded"
    assert Loan.objects.count() == 782

    bad = variant(REAL_LOANS, tmp_path / "bad_loans.xlsx", lambda s: s.__setitem__("E5", "x"))
    failed = manage("--customers", str(REAL_CUSTOMERS), "--loans", str(bad), "--wait")
    assert failed.returncode == 1
    assert "bad_loans.xlsx row 5, column E \"Interest Rate\": value 'x': not a number" in (
        failed.stderr
    )
    assert "Traceback" not in failed.stderr
    failed_id = TASK_ID.search(failed.stdout).group(1)
    assert IngestionRun.objects.get(task_id=failed_id).status == "failed"

    runs_before = IngestionRun.objects.count()
    skipped = manage("--unless-succeeded")
    assert skipped.returncode == 0, skipped.stderr
    assert "already succeeded" in skipped.stdout
    assert IngestionRun.objects.count() == runs_before


def test_command_without_wait_prints_the_task_id_and_returns(celery_worker):
    queued = manage("--customers", str(REAL_CUSTOMERS), "--loans", str(REAL_LOANS))
    assert queued.returncode == 0, queued.stderr
    task_id = TASK_ID.search(queued.stdout).group(1)
    outcome = wait_for_ingestion(task_id, lambda meta: None, timeout=120)
    assert outcome.succeeded
    assert Path(IngestionRun.objects.get(task_id=task_id).loans_file) == REAL_LOANS.resolve()


def test_unreachable_broker_fails_fast_without_traceback():
    started = time.monotonic()
    result = manage(
        "--customers", str(REAL_CUSTOMERS), "--loans", str(REAL_LOANS), "--wait",
        CELERY_BROKER_URL="redis://127.0.0.1:1/0",
    )  # fmt: skip
    assert result.returncode == 1
    assert time.monotonic() - started < 20
    assert "cannot reach the Celery broker at redis://127.0.0.1:1/0" in result.stderr
    assert "Traceback" not in result.stderr
    assert not IngestionRun.objects.exists()


def test_missing_file_is_refused_before_enqueueing():
    result = manage("--customers", "/nonexistent/customers.xlsx", "--loans", str(REAL_LOANS))
    assert result.returncode == 1
    assert "--customers /nonexistent/customers.xlsx does not exist" in result.stderr
    assert not IngestionRun.objects.exists()


def test_the_worker_log_is_masked_json_without_report_values(celery_worker, tmp_path):
    """A refused run's report quotes the cells (phone numbers, salaries); the worker's log
    lines about the task are the service's JSON lines and carry none of those values."""

    def break_rows(sheet) -> None:
        sheet["E3"] = sheet["E2"].value  # a phone number given twice
        sheet["F2"] = -76543  # a negative salary

    bad = variant(REAL_CUSTOMERS, tmp_path / "bad_customers.xlsx", break_rows)
    phone = str(openpyxl.load_workbook(bad).worksheets[0]["E2"].value)
    task_id = runs.enqueue_ingestion(bad, REAL_LOANS)
    outcome = wait_for_ingestion(task_id, lambda meta: None, timeout=120)
    assert not outcome.succeeded
    report = json.dumps(outcome.report, default=str)
    assert phone in report or "76543" in report  # the values are in the report itself

    deadline = time.monotonic() + 10
    while task_id not in (text := celery_worker.log_path.read_text()):
        assert time.monotonic() < deadline, text
        time.sleep(0.2)
    time.sleep(0.5)  # the outcome line follows the task's own lines
    text = celery_worker.log_path.read_text()
    about_task = [line for line in text.splitlines() if task_id in line]
    assert about_task, text
    for line in about_task:
        record = json.loads(line)  # the JSON formatter, not Celery's own format
        assert {"ts", "level", "logger", "msg"} <= set(record)
    assert phone not in text and "76543" not in text
