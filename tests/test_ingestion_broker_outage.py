"""Redis lost in the middle of an ingestion: the run still succeeds and the worker survives.

Progress is best-effort and the run's row in ingestion_runs is the record of its outcome, so a
broker and result backend that vanish while the worker copies the loan file must neither fail
a load that can finish nor end the worker process; once Redis is back on its address the same
worker takes tasks again; a task delivered again after its run succeeded does not repeat it.
The test runs a private redis-server on a port of its own (the shared one is never touched), a
real worker on it as docker/entrypoint.sh starts one (prefork pool, heartbeats on, no gossip or
mingle), and generated workbooks big enough to catch the run copying.
Without the task's tolerance of failed progress publishing, the run fails here.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings

from core.models import Customer, IngestionRun, Loan
from core.services.ingestion import runs
from core.services.ingestion.runs import INGEST_TASK
from core.services.maintenance import current_debt_drift
from core.services.sample_data import generate_sample_files
from tests.test_ingestion_worker import service_env

REPO = Path(__file__).resolve().parent.parent
CUSTOMERS, LOANS = 1_000, 20_000
QUEUE = settings.CELERY_TASK_DEFAULT_QUEUE
# The stages of a run while it reads and stages the files (pipeline.py).
COPYING = ("copying customers", "opening the loan workbook", "copying loans")

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


class PrivateRedis:
    """A redis-server of the test's own on a free port, without persistence."""

    def __init__(self, directory: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.directory = directory
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            assert self.process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def private_redis(tmp_path):
    redis = PrivateRedis(tmp_path)
    redis.start()
    try:
        yield redis
    finally:
        redis.kill()


def start_worker(redis: PrivateRedis, log_path: Path) -> subprocess.Popen:
    """The worker role's command line (docker/entrypoint.sh), on one pool process."""
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker",
         "--without-gossip", "--without-mingle", "-Q", QUEUE, "--concurrency=1",
         "-n", f"outage-test-{os.getpid()}@%h", "--loglevel=INFO"],
        cwd=REPO, env=service_env(CELERY_BROKER_URL=redis.url, CELERY_RESULT_BACKEND=redis.url),
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while b" ready." not in log_path.read_bytes():
        assert process.poll() is None, log_path.read_text()
        assert time.monotonic() < deadline, log_path.read_text()
        time.sleep(0.1)
    return process


def signal_all(worker: subprocess.Popen, signum: int) -> list[int]:
    """Send signum to the worker and its pool processes; returns their pids."""
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
    pids = [worker.pid, *map(int, children)]
    for pid in pids:
        os.kill(pid, signum)
    return pids


def private_app(redis: PrivateRedis, monkeypatch) -> Celery:
    """A Celery client of the private Redis, not made the current app (the rest of the suite
    keeps the project's). Celery prefers these variables to its arguments, and settings.py
    exported the shared Redis's."""
    monkeypatch.setenv("CELERY_BROKER_URL", redis.url)
    monkeypatch.setenv("CELERY_RESULT_BACKEND", redis.url)
    return Celery("outage-test", broker=redis.url, backend=redis.url, set_as_current=False)


def test_redis_lost_mid_run_neither_fails_the_run_nor_kills_the_worker(
    private_redis, tmp_path, monkeypatch
):
    files = generate_sample_files(tmp_path / "data", customers=CUSTOMERS, loans=LOANS, seed=7)
    app = private_app(private_redis, monkeypatch)
    log_path = tmp_path / "worker.log"
    worker = start_worker(private_redis, log_path)
    try:
        task_id = str(uuid.uuid4())
        runs.record_queued(task_id, files.customers, files.loans)
        app.send_task(
            INGEST_TASK, args=[str(files.customers), str(files.loans)], task_id=task_id, queue=QUEUE
        )
        progress = app.AsyncResult(task_id)
        deadline = time.monotonic() + 60
        while not (progress.state == "PROGRESS" and progress.info["stage"] in COPYING):
            assert time.monotonic() < deadline, (progress.state, progress.info)
            time.sleep(0.005)
        # The worker (and its pool process) frozen mid-copy while Redis goes away, so the rest
        # of the run meets no broker.
        processes = signal_all(worker, signal.SIGSTOP)
        try:
            assert progress.info["loans"]["done"] < LOANS
            private_redis.kill()
        finally:
            for pid in processes:
                os.kill(pid, signal.SIGCONT)
        app.close()

        deadline = time.monotonic() + 90
        while (run := IngestionRun.objects.get(task_id=task_id)).status in ("queued", "running"):
            assert worker.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.1)
        assert run.status == "succeeded", run.error_report
        assert (run.rows_read, run.rows_inserted) == (CUSTOMERS + LOANS, CUSTOMERS + LOANS)
        assert (Customer.objects.count(), Loan.objects.count()) == (CUSTOMERS, LOANS)
        assert current_debt_drift() == 0
        time.sleep(2)  # the worker meets the lost broker once the task is done
        assert worker.poll() is None, log_path.read_text()

        # Redis back on the same address: the same worker process takes the next task, here
        # the same message again (as when the lost acknowledgement gets it redelivered): the
        # run that succeeded is not repeated and its row keeps its figures.
        private_redis.start()
        app = private_app(private_redis, monkeypatch)
        args = [str(files.customers), str(files.loans)]
        seen = len(log_path.read_bytes())
        again = app.send_task(INGEST_TASK, args=args, task_id=task_id, queue=QUEUE)
        # The worker's log tells when the redelivery succeeded: the task's state cannot, since
        # the first delivery's result, stored once Redis is back, may land after it.
        done = f"ingest_data[{task_id}] succeeded".encode()
        deadline = time.monotonic() + 60
        while done not in log_path.read_bytes()[seen:]:
            assert time.monotonic() < deadline, (again.state, log_path.read_text())
            time.sleep(0.1)
        sweep = app.send_task("core.tasks.close_matured_loans", queue=QUEUE)  # and a new task
        assert isinstance(sweep.get(timeout=60), int), log_path.read_text()
        app.close()
        assert worker.poll() is None
        again_run = IngestionRun.objects.get(task_id=task_id)
        assert (again_run.attempts, again_run.rows_inserted) == (1, CUSTOMERS + LOANS)
        assert again_run.finished_at == run.finished_at
    finally:
        if worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
