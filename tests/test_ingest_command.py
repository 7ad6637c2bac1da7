"""The command lines people wait on: ingest_data --wait (with no worker, with a worker on
another database, on small files), progress in data rows, generate_sample_data's progress bar,
api_keys list, and manage.py without its settings."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from core.management.ingest_wait import wait_for_ingestion
from core.models import IngestionRun
from core.services import sample_data as generate
from core.services.ingestion import runs
from core.services.ingestion.pipeline import run_ingestion
from tests.test_ingestion_worker import celery_worker, service_env  # noqa: F401 (fixture)

REPO = Path(__file__).resolve().parent.parent
SAMPLE_CUSTOMERS = REPO / "data" / "customer_data.xlsx"
SAMPLE_LOANS = REPO / "data" / "loan_data.xlsx"
FULL_BARS = "customers [####################] 300/300  loans [####################] 800/800"

pytestmark = pytest.mark.django_db(transaction=True)


def ingest_command(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "ingest_data", *args],
        cwd=REPO, env=service_env(**env), capture_output=True, text=True, timeout=180,
    )  # fmt: skip


def sample_args() -> list[str]:
    return ["--customers", str(SAMPLE_CUSTOMERS), "--loans", str(SAMPLE_LOANS)]


def start_worker(queue: str, log_path: Path, **env: str) -> subprocess.Popen:
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue,
                "--pool=solo", "--without-gossip", "--without-mingle", "--without-heartbeat",
                "-n", f"{queue}@%h", "--loglevel=INFO",
            ],
            cwd=REPO, env=service_env(CELERY_TASK_DEFAULT_QUEUE=queue, **env), stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while b" ready." not in log_path.read_bytes():
        assert process.poll() is None, log_path.read_text()
        assert time.monotonic() < deadline, log_path.read_text()
        time.sleep(0.2)
    return process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def unserved_queue():
    """A queue no worker listens on; emptied afterwards so no later worker takes its task."""
    queue = f"credit-test-unserved-{uuid.uuid4().hex[:8]}"
    yield queue
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(queue)


# --- --wait and the worker ---------------------------------------------------------------------


@pytest.mark.worker
def test_wait_without_a_worker_gives_up_saying_how_to_start_one(unserved_queue):
    started = time.monotonic()
    result = ingest_command(
        *sample_args(), "--wait", "--worker-timeout", "2", CELERY_TASK_DEFAULT_QUEUE=unserved_queue
    )
    assert result.returncode == 1
    assert time.monotonic() - started < 60
    assert "no worker took ingestion task" in result.stderr
    assert "within 2 s" in result.stderr
    assert "celery -A config worker" in result.stderr
    assert "docker compose up -d worker" in result.stderr
    assert "Traceback" not in result.stderr
    assert IngestionRun.objects.get().status == "queued"


@pytest.fixture
def other_database():
    """Another migrated database on the same server, for a worker configured differently."""
    test_db = connection.settings_dict
    name = f"{test_db['NAME']}_other"
    admin = psycopg2.connect(
        dbname="postgres",
        user=test_db["USER"],
        host=test_db["HOST"] or None,
        port=test_db["PORT"] or None,
        password=test_db["PASSWORD"] or None,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    url = urlsplit(service_env()["DATABASE_URL"])
    other_url = urlunsplit(url._replace(path=f"/{name}"))
    try:
        migrated = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=REPO, env=service_env(DATABASE_URL=other_url), capture_output=True, text=True,
            timeout=300,
        )  # fmt: skip
        assert migrated.returncode == 0, migrated.stderr
        yield other_url
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.mark.worker
def test_a_worker_on_another_database_is_named(other_database, unserved_queue, tmp_path):
    worker = start_worker(unserved_queue, tmp_path / "worker.log", DATABASE_URL=other_database)
    try:
        result = ingest_command(*sample_args(), "--wait", CELERY_TASK_DEFAULT_QUEUE=unserved_queue)
    finally:
        stop(worker)
    assert result.returncode == 1, result.stderr
    assert "the worker is connected to another database" in result.stderr
    assert connection.settings_dict["NAME"] in result.stderr
    assert "Traceback" not in result.stderr
    assert IngestionRun.objects.get().status == "queued"


@pytest.mark.worker
def test_wait_on_small_files_shows_the_rows_done(celery_worker):  # noqa: F811
    result = ingest_command(*sample_args(), "--wait")
    assert result.returncode == 0, result.stderr
    assert f"{FULL_BARS}  succeeded" in result.stderr


def test_a_run_that_ends_between_two_polls_still_shows_its_rows(tmp_path):
    files = generate.generate_sample_files(tmp_path, customers=300, loans=800, seed=3)
    task_id = str(uuid.uuid4())
    runs.record_queued(task_id, files.customers, files.loans)
    run_ingestion(files.customers, files.loans, task_id=task_id)  # (no broker: no state)
    seen: list[dict] = []
    outcome = wait_for_ingestion(task_id, seen.append)
    assert outcome.succeeded
    assert seen == [
        {
            "stage": "succeeded",
            "customers": {"done": 300, "total": 300},
            "loans": {"done": 800, "total": 800},
        }
    ]


# --- progress counts data rows -----------------------------------------------------------------


def test_progress_totals_count_data_rows_not_blank_rows(tmp_path):
    files = generate.generate_sample_files(tmp_path, customers=20, loans=50, seed=3)
    seen: list[dict] = []
    result = run_ingestion(files.customers, files.loans, on_progress=seen.append)

    assert (result.customer_rows, result.loan_rows, result.rows_read) == (20, 50, 70)
    assert all(meta["loans"]["done"] <= 50 for meta in seen)
    assert seen[-1]["customers"] == {"done": 20, "total": 20}
    assert seen[-1]["loans"] == {"done": 50, "total": 50}
    assert IngestionRun.objects.get().rows_read == 70


def test_generate_sample_data_draws_a_progress_bar(tmp_path, capsys):
    call_command(
        "generate_sample_data", "--customers", "10", "--loans", "30", "--out", str(tmp_path)
    )
    err = capsys.readouterr().err
    assert "customers [####################] 10/10" in err
    assert "loans [----------" in err
    assert "loans [####################] 30/30" in err


# --- other commands ------------------------------------------------------------------------------


def test_api_keys_list_without_keys_says_so():
    out = io.StringIO()
    call_command("api_keys", "list", stdout=out)
    assert out.getvalue() == (
        "no API keys yet; create one with: python manage.py api_keys create NAME\n"
    )


@pytest.mark.parametrize("command", [["ingest_data", "--help"], ["check"], ["migrate"]])
def test_a_missing_secret_key_is_one_line_saying_how_to_set_it(command):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SECRET_KEY", "DJANGO_SECRET_KEY_FILE", "DJANGO_DEBUG"}
    }
    result = subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("manage.py: DJANGO_SECRET_KEY is not set")
    assert "export DJANGO_SECRET_KEY=" in line and ".env" in line
