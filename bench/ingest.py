"""Ingestion benchmark: the real Celery task end to end, against three baselines measured in
the same run on the same files.

    .venv/bin/python bench/ingest.py                                  # 100k customers / 1M loans
    .venv/bin/python bench/ingest.py --customers 1000 --loans 20000 --repeat 1   # smoke, < 1 min
    .venv/bin/python bench/ingest.py --profile                        # + per-statement profile

Needs PostgreSQL (PGHOST/PGPORT/PGUSER, default 127.0.0.1:5432 postgres) and Redis
(BENCH_REDIS_URL, default redis://127.0.0.1:6379/0). The sample files come from the project's
generator (manage.py generate_sample_data) and are cached under BENCH_DATA_DIR
(default /tmp/credit-bench-data); their generation is not timed.

What is measured, each in a process of its own, each repetition in fresh databases:
  end to end  a Celery worker (--pool=solo, our own queue) runs core.tasks.ingest_data, sent by
              core.services.ingestion.dispatch exactly as `manage.py ingest_data --wait` sends
              it, into a freshly migrated database. Seconds from enqueue to SUCCESS, as seen by
              the client (progress polled every 50 ms); the worker's peak RSS (VmHWM).
  (a) read    the project's reader (read.open_sheet, the plain rendering the pipeline stages
              clean files with) over both workbooks, every cell formatted;
              no database.
  (b) COPY    the same rows, rendered as COPY text before the clock starts, COPYed by psycopg2
              into typed tables with no key, index, constraint or trigger; commit included.
  (c) bulk    the same reader feeding Django bulk_create (batch 5,000) into the real customers
              and loans tables of a freshly migrated database, in one transaction.
  (raw)       python-calamine's raw rows of both workbooks, no formatting: with (b), the
              floor.
  latency     once, after the repetitions: a gunicorn of the project serves check-eligibility
              and view-loans at a steady rate (--probe-rate per endpoint) for customers
              registered through the API, first with no load running, then during an end to
              end load of the same files; p99 and maximum latency of each.
Targets: end to end <= 3.0 x (raw + b); (c) / end to end >= 4; worker peak RSS <= 1 GiB;
maximum API latency during the load <= 1 s (a load takes no lock that readers wait for).

Diagnostics (not targets): calamine's rows alone, the reader + COPY-line rendering the
pipeline does, and with --profile the pipeline's stages and SQL statements one by one.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common

BULK_BATCH = 5_000
RSS_LIMIT_MIB = 1024
E2E_RATIO_LIMIT = 3.0  # end to end / (raw + b): the raw floor
BULK_RATIO_TARGET = 4.0
WORKER_READY_SECONDS = 90
LATENCY_MAX_TARGET_MS = 1000.0
LATENCY_CUSTOMERS = 20
LATENCY_SERVER_WORKERS = 3


# ================================================================================================
# Child phases: each runs in its own process and prints its result (common.print_result).
# ================================================================================================


def _files(data: Path):
    from core.services.ingestion.headers import CUSTOMERS, LOANS
    from core.services.sample_data import CUSTOMERS_FILE, LOANS_FILE

    return ((data / CUSTOMERS_FILE, CUSTOMERS), (data / LOANS_FILE, LOANS))


def phase_read(data: Path) -> dict:
    """(a) The project's read path alone: SheetRows over both workbooks, in the plain rendering
    the pipeline stages clean files with (read.py: plain_fields, each row's COPY text)."""
    from core.services.ingestion.read import open_sheet

    started = time.perf_counter()
    rows = 0
    for path, spec in _files(data):
        with open_sheet(path, spec) as sheet:
            for _ in sheet.plain_fields():
                rows += 1
    return {"seconds": time.perf_counter() - started, "rows": rows}


def phase_read_raw(data: Path) -> dict:
    """Diagnostic: calamine's rows without the reader's cell formatting."""
    from python_calamine import CalamineWorkbook

    started = time.perf_counter()
    rows = 0
    for path, _ in _files(data):
        with CalamineWorkbook.from_path(str(path)) as workbook:
            for _ in workbook.get_sheet_by_index(0).iter_rows():
                rows += 1
    return {"seconds": time.perf_counter() - started, "rows": rows}


def phase_render(data: Path) -> dict:
    """Diagnostic: the reader plus the COPY lines the pipeline renders (stage.copy_lines and
    its TextStream, read in the pipeline's block size), nothing sent anywhere."""
    from core.services.ingestion import stage
    from core.services.ingestion.progress import ProgressTracker
    from core.services.ingestion.read import open_sheet

    started = time.perf_counter()
    tracker = ProgressTracker()
    size = 0
    for path, spec in _files(data):
        with open_sheet(path, spec) as sheet:
            stream = stage.TextStream(
                stage.copy_lines(sheet, sheet.plain_fields(), spec.name, tracker)
            )
            while block := stream.read(stage.COPY_BLOCK_SIZE):
                size += len(block)
    return {"seconds": time.perf_counter() - started, "rows": tracker.rows_read, "chars": size}


def phase_copy(data: Path, db: str) -> dict:
    """(b) Bare COPY of pre-rendered text into unindexed typed tables (fresh database)."""
    import psycopg2

    from core.services.ingestion.read import open_sheet

    texts = {}
    rows = 0
    for path, spec in _files(data):
        buffer = io.StringIO()
        with open_sheet(path, spec) as sheet:
            for _, fields in sheet.plain_fields():  # the pipeline's COPY text of each row
                rows += 1
                buffer.write(fields)
                buffer.write("\n")
        texts[spec.name] = buffer.getvalue()
    conn = psycopg2.connect(common.database_url(db))
    try:
        with conn.cursor() as cur:
            cur.execute(common.bench_sql("bare_copy_tables"))
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cur:
            for name in ("customers", "loans"):
                cur.copy_expert(
                    common.bench_sql(f"bare_copy_{name}"), io.StringIO(texts[name]), 1 << 16
                )
        conn.commit()
        seconds = time.perf_counter() - started
    finally:
        conn.close()
    return {"seconds": seconds, "rows": rows, "chars": sum(len(t) for t in texts.values())}


def phase_bulk(data: Path) -> dict:
    """(c) The reader feeding Django bulk_create (batch 5,000) into the real tables, one
    transaction. No validation, no id mapping: loan ids come from the identity. (Rows are split
    from their COPY text: the generator's names hold nothing COPY escapes.)"""
    import datetime as dt
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone

    from core.models import Customer, Loan
    from core.services.ingestion.read import open_sheet

    (customers_path, customers_spec), (loans_path, loans_spec) = _files(data)
    today = timezone.localdate()
    rows = 0
    started = time.perf_counter()
    with transaction.atomic():
        batch: list = []
        with open_sheet(customers_path, customers_spec) as sheet:
            for _, fields in sheet.plain_fields():  # the pipeline's reader, as in (a)
                c = fields.split("\t")
                batch.append(
                    Customer(
                        customer_id=int(c[0]),
                        first_name=c[1],
                        last_name=c[2],
                        age=int(c[3]),
                        phone_number=c[4],
                        monthly_salary=Decimal(c[5]),
                        approved_limit=Decimal(c[6]),
                    )
                )
                if len(batch) == BULK_BATCH:
                    Customer.objects.bulk_create(batch)
                    rows += len(batch)
                    batch = []
        Customer.objects.bulk_create(batch)
        rows += len(batch)
        batch = []
        with open_sheet(loans_path, loans_spec) as sheet:
            for _, fields in sheet.plain_fields():  # the pipeline's reader, as in (a)
                c = fields.split("\t")
                end_date = dt.date.fromisoformat(c[8])
                batch.append(
                    Loan(
                        customer_id=int(c[0]),
                        source_loan_id=int(c[1]),
                        loan_amount=Decimal(c[2]),
                        tenure=int(c[3]),
                        interest_rate=Decimal(c[4]),
                        monthly_installment=Decimal(c[5]),
                        emis_paid_on_time=int(c[6]),
                        start_date=dt.date.fromisoformat(c[7]),
                        end_date=end_date,
                        is_active=end_date > today,
                    )
                )
                if len(batch) == BULK_BATCH:
                    Loan.objects.bulk_create(batch)
                    rows += len(batch)
                    batch = []
        Loan.objects.bulk_create(batch)
        rows += len(batch)
    return {"seconds": time.perf_counter() - started, "rows": rows}


def phase_e2e_client(data: Path) -> dict:
    """The client side of the end-to-end run: enqueue as `manage.py ingest_data` does, then
    follow the task's state to its end, noting when each stage begins."""
    from core.services.ingestion import dispatch

    (customers_path, _), (loans_path, _) = _files(data)
    stages: list[tuple[str, float]] = []

    def note(meta: dict) -> None:
        stage = str(meta.get("stage"))
        if not stages or stages[-1][0] != stage:
            stages.append((stage, time.perf_counter() - started))

    started = time.perf_counter()
    task_id = dispatch.enqueue_ingestion(customers_path, loans_path)
    outcome = dispatch.wait_for_ingestion(task_id, note, timeout=3600, poll_seconds=0.05)
    seconds = time.perf_counter() - started
    if not outcome.succeeded:
        raise SystemExit(f"ingestion failed: {outcome.report.describe() if outcome.report else ''}")
    stages.append(("SUCCESS seen by the client", seconds))
    return {"seconds": seconds, "result": outcome.result, "stages": stages}


def phase_profile(data: Path) -> dict:
    """--profile: run_ingestion in this process, as the task calls it, with each stage and each
    SQL statement timed (Django's execute_wrapper; the COPYs are the 'copying' stages)."""
    from django.db import connection

    from core.services.ingestion import pipeline
    from core.services.ingestion.queries import SQL_DIR as QUERY_DIR
    from core.services.ingestion.queries import sql_text
    from core.sqlfiles import ROOT

    names = {sql_text(p.stem): p.stem for p in (ROOT / QUERY_DIR).glob("*.sql")}
    statements: list[tuple[str, float]] = []

    def timed(execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            label = names.get(sql) or " ".join(sql.split())[:60]
            statements.append((label, time.perf_counter() - began))

    stages: list[tuple[str, float]] = []

    def note(meta: dict) -> None:
        stage = str(meta.get("stage"))
        if not stages or stages[-1][0] != stage:
            stages.append((stage, time.perf_counter() - started))

    (customers_path, _), (loans_path, _) = _files(data)
    started = time.perf_counter()
    with connection.execute_wrapper(timed):
        result = pipeline.run_ingestion(customers_path, loans_path, on_progress=note)
    seconds = time.perf_counter() - started
    stages.append(("returned", seconds))
    return {"seconds": seconds, "result": result.as_dict(), "stages": stages,
            "statements": statements}  # fmt: skip


def phase_explain(data: Path) -> dict:
    """--profile, second part: run_ingestion again (fresh database), with auto_explain sending
    the plan of every statement over 50 ms (with per-node and trigger times) to this client.
    Per-node timing slows the run down; read the plans for shares, not for totals."""
    import collections

    from django.db import connection

    from core.services.ingestion import pipeline
    from core.services.ingestion.queries import SQL_DIR as QUERY_DIR
    from core.sqlfiles import ROOT

    connection.ensure_connection()
    notices = collections.deque(maxlen=1000)
    connection.connection.notices = notices
    with connection.cursor() as cursor:
        cursor.execute(common.bench_sql("auto_explain_session"))
    (customers_path, _), (loans_path, _) = _files(data)
    started = time.perf_counter()
    pipeline.run_ingestion(customers_path, loans_path)
    seconds = time.perf_counter() - started
    files = {
        path.stem: path.read_text(encoding="utf-8").splitlines()[0]
        for path in (ROOT / QUERY_DIR).glob("*.sql")
    }
    plans = []
    for notice in notices:
        text = notice.strip()
        head = text[:400]
        label = next((name for name, first in files.items() if first in head), None)
        plans.append({"file": label, "plan": text})
    return {"seconds": seconds, "plans": plans}


PHASES = {
    "read": phase_read,
    "read_raw": phase_read_raw,
    "render": phase_render,
    "copy": phase_copy,
    "bulk": phase_bulk,
    "e2e_client": phase_e2e_client,
    "profile": phase_profile,
    "explain": phase_explain,
}


def run_child(args: argparse.Namespace) -> None:
    common.setup_django(args.db or "postgres")
    fn = PHASES[args.phase]
    data = Path(args.data)
    result = fn(data, args.db) if args.phase == "copy" else fn(data)
    result["peak_rss_mib"] = common.peak_rss_mib()
    common.print_result(result)


# ================================================================================================
# The orchestrator.
# ================================================================================================


def spawn_phase(phase: str, data: Path, db: str | None = None) -> dict:
    command = [common.PYTHON, __file__, "--phase", phase, "--data", str(data)]
    if db:
        command += ["--db", db]
    return common.run_phase(command, common.service_env(db or "postgres"), phase)


def measure_read(data: Path) -> dict:
    return spawn_phase("read", data)


def measure_copy(data: Path) -> dict:
    with common.fresh_database("copy", migrated=False) as db:
        return spawn_phase("copy", data, db)


def measure_bulk(data: Path) -> dict:
    with common.fresh_database("bulk") as db:
        return spawn_phase("bulk", data, db)


class Worker:
    """A Celery worker of the project (--pool=solo: the task runs in this very process, so its
    VmHWM is the task's peak memory), on the benchmark's own queue."""

    def __init__(self, db: str) -> None:
        self.env = common.service_env(db)
        self.queue = self.env["CELERY_TASK_DEFAULT_QUEUE"]
        self.name = f"bench{common.RUN_ID}@localhost"
        self.log = open(common.ROOT / "bench" / "out" / "worker.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [common.PYTHON, "-m", "celery", "-A", "config", "worker", "--pool=solo",
             "-Q", self.queue, "-n", self.name, "--loglevel=WARNING",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=common.ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def wait_ready(self) -> None:
        from celery import Celery

        app = Celery(broker=self.env["CELERY_BROKER_URL"])
        deadline = time.monotonic() + WORKER_READY_SECONDS
        try:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError("the Celery worker exited; see bench/out/worker.log")
                if app.control.ping(destination=[self.name], timeout=1.0):
                    return
            raise RuntimeError("the Celery worker did not become ready")
        finally:
            app.close()

    def rss(self) -> tuple[float, float]:
        """(current RSS, peak RSS) of the worker process, MiB."""
        pid = self.process.pid
        return (
            round((common.proc_status_kib(pid, "VmRSS") or 0) / 1024, 1),
            round((common.proc_status_kib(pid, "VmHWM") or 0) / 1024, 1),
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        import redis

        client = redis.Redis.from_url(self.env["CELERY_BROKER_URL"])
        client.delete(self.queue)  # a message left by a failed run must not wait for the next
        client.close()


def measure_e2e(data: Path, expected: tuple[int, int]) -> dict:
    with common.fresh_database("e2e") as db:
        worker = Worker(db)
        try:
            worker.wait_ready()
            time.sleep(1.0)  # let the start-up maturity sweep (an empty table) finish first
            idle_rss, _ = worker.rss()
            result = spawn_phase("e2e_client", data, db)
            result["worker_idle_rss_mib"] = idle_rss
            result["worker_peak_rss_mib"] = worker.rss()[1]
        finally:
            worker.stop()
        result["check"] = check_loaded(db, expected)
    return result


class LatencyProbe:
    """Drives check-eligibility and view-loans at a steady rate (one thread each, one request
    every 1 / rate seconds, or at once when the last one took longer) against a gunicorn of
    the project, recording each request's latency. A request that waited on a lock of the load
    shows as a long latency; an error or a 5xx counts as an error."""

    def __init__(self, port: int, customer_ids: list[int], rate: float) -> None:
        import threading

        self.port, self.customers, self.interval = port, customer_ids, 1.0 / rate
        self.latencies: dict[str, list[float]] = {"check-eligibility": [], "view-loans": []}
        self.errors = 0
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._drive, args=(name,), daemon=True)
                        for name in self.latencies]  # fmt: skip

    def _request(self, name: str, rng) -> tuple[str, str, bytes | None]:
        customer = rng.choice(self.customers)
        if name == "view-loans":
            return "GET", f"/view-loans/{customer}", None
        body = {"customer_id": customer, "loan_amount": 100000, "interest_rate": 12, "tenure": 12}
        return "POST", "/check-eligibility", json.dumps(body).encode()

    def _drive(self, name: str) -> None:
        import http.client
        import random

        rng = random.Random(name)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        next_at = time.perf_counter()
        while not self.stopping.is_set():
            method, path, body = self._request(name, rng)
            began = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status >= 500:
                    self.errors += 1
            except OSError:
                self.errors += 1
                conn.close()
            self.latencies[name].append((time.perf_counter() - began) * 1000)
            next_at += self.interval
            self.stopping.wait(max(0.0, next_at - time.perf_counter()))
        conn.close()

    def __enter__(self) -> LatencyProbe:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def figures(self) -> dict:
        out = {}
        for name, values in self.latencies.items():
            ordered = sorted(values)
            out[name] = {
                "requests": len(ordered),
                "p99_ms": common.percentile(ordered, 99),
                "max_ms": ordered[-1] if ordered else float("nan"),
            }
        out["errors"] = self.errors
        return out


def seed_api_customers(port: int, count: int) -> tuple[list[int], int]:
    """Customers registered through the API (service ids, which no file row touches), each with
    one loan asked for, for the latency probe to read and decide on during the load."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}

    def post(path: str, body: dict) -> dict:
        conn.request("POST", path, body=json.dumps(body).encode(), headers=headers)
        response = conn.getresponse()
        answer = json.loads(response.read() or b"{}")
        if response.status >= 300:
            raise RuntimeError(f"{path} answered {response.status}: {answer}")
        return answer

    ids, approved = [], 0
    for n in range(count):
        person = {"first_name": "Probe", "last_name": f"N{n}", "age": 35,
                  "monthly_income": 90000, "phone_number": 8_900_000_000 + n}  # fmt: skip
        ids.append(post("/register", person)["customer_id"])
        loan = {"customer_id": ids[-1], "loan_amount": 50000, "interest_rate": 14, "tenure": 12}
        approved += bool(post("/create-loan", loan).get("loan_approved"))
    conn.close()
    return ids, approved


def measure_latency(data: Path, expected: tuple[int, int], args: argparse.Namespace) -> dict:
    """API latency with no load running, then during the end-to-end load, on one database."""
    with common.fresh_database("latency") as db:
        worker, server = Worker(db), common.Gunicorn(db, LATENCY_SERVER_WORKERS, "sync", 1)
        try:
            worker.wait_ready()
            server.wait_ready()
            customers, loans = seed_api_customers(server.port, LATENCY_CUSTOMERS)
            with LatencyProbe(server.port, customers, args.probe_rate) as idle:
                time.sleep(args.probe_idle_seconds)
            with LatencyProbe(server.port, customers, args.probe_rate) as during:
                load = spawn_phase("e2e_client", data, db)
        finally:
            server.stop()
            worker.stop()
        check_loaded(db, (expected[0] + LATENCY_CUSTOMERS, expected[1] + loans))
    return {"seconds": load["seconds"], "idle": idle.figures(), "during_load": during.figures()}


def check_loaded(db: str, expected: tuple[int, int]) -> dict:
    import psycopg2

    conn = psycopg2.connect(common.database_url(db))
    try:
        with conn.cursor() as cur:
            cur.execute(common.bench_sql("check_loaded"))
            customers, loans, drift, runs = cur.fetchone()
    finally:
        conn.close()
    ok = (customers, loans, drift) == (*expected, 0)
    if not ok:
        raise RuntimeError(
            f"end-to-end run left {customers} customers, {loans} loans, {drift} drifting debts "
            f"(expected {expected[0]}, {expected[1]}, 0)"
        )
    return {"customers": customers, "loans": loans, "debt_drift": drift, "worker_run": runs}


def fmt_seconds(values: list[float]) -> str:
    return "  ".join(f"{v:7.2f}" for v in values)


def orchestrate(args: argparse.Namespace) -> int:
    (common.ROOT / "bench" / "out").mkdir(exist_ok=True)
    data = common.ensure_sample_files(Path(args.data_dir), args.customers, args.loans, args.seed)
    rows_total = args.customers + args.loans
    print(f"ingestion benchmark: {args.customers:,} customers + {args.loans:,} loans "
          f"= {rows_total:,} rows, {args.repeat} repetition(s), files in {data}")  # fmt: skip
    print("machine:")
    machine = common.print_machine()

    runs: dict[str, list[dict]] = {"e2e": [], "read": [], "raw": [], "copy": [], "bulk": []}
    diagnostics: dict[str, list[dict]] = {"render": []}
    for repetition in range(1, args.repeat + 1):
        # Interleaved, so slow phases of a noisy machine hit every measure alike.
        steps = [
            ("read", lambda: measure_read(data)),
            ("raw", lambda: spawn_phase("read_raw", data)),
            ("copy", lambda: measure_copy(data)),
            ("e2e", lambda: measure_e2e(data, (args.customers, args.loans))),
        ]
        if not args.skip_bulk:
            steps.append(("bulk", lambda: measure_bulk(data)))
        if not args.no_diagnostics and repetition == 1:
            steps.append(("render", lambda: spawn_phase("render", data)))
        for name, step in steps:
            result = step()
            (runs if name in runs else diagnostics)[name].append(result)
            result["load_average"] = os.getloadavg()[0]
            print(
                f"  run {repetition} {name:9} {result['seconds']:8.2f} s   "
                f"(1-min load average {result['load_average']:.1f})",
                flush=True,
            )

    latency = None
    if not args.skip_latency:
        latency = measure_latency(data, (args.customers, args.loans), args)
        print(f"  latency run: load {latency['seconds']:.2f} s", flush=True)

    med = {name: common.median(r["seconds"] for r in results)
           for name, results in runs.items() if results}  # fmt: skip
    e2e = med["e2e"]
    floor = med["raw"] + med["copy"]  # calamine's raw rows + bare COPY
    peak = max(r["worker_peak_rss_mib"] for r in runs["e2e"])
    rows_read = {r["rows"] for r in runs["read"]}
    print()
    print("rows read by the reader:", ", ".join(f"{n:,}" for n in sorted(rows_read)))
    print(f"{'measure':44} {'median s':>9} {'rows/s':>10}   each run (s)")
    labels = {
        "e2e": "end to end (Celery task, fresh DB)",
        "read": "(a) reader alone, both workbooks",
        "raw": "(raw) calamine's rows only, no formatting",
        "copy": "(b) bare COPY, unindexed typed tables",
        "bulk": "(c) reader + Django bulk_create (5,000)",
    }
    for name, label in labels.items():
        if name in med:
            seconds = [r["seconds"] for r in runs[name]]
            print(f"{label:44} {med[name]:9.2f} {rows_total / med[name]:10,.0f}   "
                  f"{fmt_seconds(seconds)}")  # fmt: skip
    for name, label in (("render", "diag: reader + COPY-line rendering"),):
        if diagnostics[name]:
            seconds = diagnostics[name][0]["seconds"]
            print(f"{label:44} {seconds:9.2f} {rows_total / seconds:10,.0f}")
    e2e_runs = runs["e2e"]
    print(f"worker RSS: idle {common.median(r['worker_idle_rss_mib'] for r in e2e_runs):.0f} MiB, "
          f"peak (VmHWM) {peak:.0f} MiB; worker-side run: "
          f"{', '.join(r['check']['worker_run'] for r in e2e_runs)} s")  # fmt: skip
    print("end-to-end stages (client-observed start, s):")
    stages = e2e_runs[len(e2e_runs) // 2]["stages"]
    for (stage, at), nxt in zip(stages, [*stages[1:], None], strict=True):
        length = f"{nxt[1] - at:7.2f}" if nxt else "       "
        print(f"    {at:7.2f}  {length}  {stage}")
    print()
    ratio = e2e / floor
    print("targets:")
    print(f"  end to end <= {E2E_RATIO_LIMIT:g} x (raw + b): {e2e:.2f} s vs {E2E_RATIO_LIMIT:g} x "
          f"{floor:.2f} s = {E2E_RATIO_LIMIT * floor:.2f} s; e2e / (raw + b) = {ratio:.2f}   "
          f"{common.verdict(ratio <= E2E_RATIO_LIMIT)}   (e2e / (a + b) = "
          f"{e2e / (med['read'] + med['copy']):.2f})")  # fmt: skip
    speedup = None
    if "bulk" in med:
        speedup = med["bulk"] / e2e
        print(
            f"  >= {BULK_RATIO_TARGET:g} x faster than (c): (c) / e2e = {med['bulk']:.2f} / "
            f"{e2e:.2f} = {speedup:.2f}   {common.verdict(speedup >= BULK_RATIO_TARGET)}"
        )
    print(
        f"  worker peak RSS <= {RSS_LIMIT_MIB} MiB: {peak:.0f} MiB   "
        f"{common.verdict(peak <= RSS_LIMIT_MIB)}"
    )

    if latency is not None:
        print_latency(latency, args)

    profile = None
    if args.profile:
        with common.fresh_database("profile") as db:
            profile = spawn_phase("profile", data, db)
        print_profile(profile)
        with common.fresh_database("explain") as db:
            explained = spawn_phase("explain", data, db)
        profile["explain"] = explained
        print_plans(explained)

    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = common.ROOT / "bench" / "out" / f"ingest-{args.loans}-{stamp}.json"
    out.write_text(json.dumps({
        "machine": machine, "args": vars(args), "runs": runs, "diagnostics": diagnostics,
        "medians": med, "ratios": {"e2e_over_raw_plus_b": ratio, "bulk_over_e2e": speedup},
        "worker_peak_rss_mib": peak, "profile": profile, "latency": latency,
    }, indent=1, default=str))  # fmt: skip
    print(f"\nraw figures: {out.relative_to(common.ROOT)}")
    return 0


def print_latency(latency: dict, args: argparse.Namespace) -> None:
    print(
        f"\nAPI latency, {args.probe_rate:g} requests/s per endpoint "
        f"(idle {args.probe_idle_seconds:g} s, then during the {latency['seconds']:.1f} s load):"
    )
    print(f"  {'endpoint':20} {'idle p99':>9} {'idle max':>9} {'load p99':>9} {'load max':>9}"
          f" {'requests':>9}")  # fmt: skip
    worst = 0.0
    for name in ("check-eligibility", "view-loans"):
        idle, busy = latency["idle"][name], latency["during_load"][name]
        worst = max(worst, busy["max_ms"])
        print(f"  {name:20} {idle['p99_ms']:7.1f}ms {idle['max_ms']:7.1f}ms "
              f"{busy['p99_ms']:7.1f}ms {busy['max_ms']:7.1f}ms {busy['requests']:9}")  # fmt: skip
    errors = latency["idle"]["errors"] + latency["during_load"]["errors"]
    print(f"  errors (5xx or transport): {errors}")
    print(f"  target: maximum during the load <= {LATENCY_MAX_TARGET_MS:.0f} ms: {worst:.0f} ms   "
          f"{common.verdict(worst <= LATENCY_MAX_TARGET_MS and errors == 0)}")  # fmt: skip


def print_profile(profile: dict) -> None:
    print(f"\nprofile: run_ingestion in-process {profile['seconds']:.2f} s, "
          f"peak RSS {profile['peak_rss_mib']:.0f} MiB")  # fmt: skip
    print("  stages (start, length s):")
    stages = profile["stages"]
    for (stage, at), nxt in zip(stages, [*stages[1:], None], strict=True):
        length = f"{nxt[1] - at:7.2f}" if nxt else "       "
        print(f"    {at:7.2f}  {length}  {stage}")
    print("  SQL statements (s), slowest first:")
    for label, seconds in sorted(profile["statements"], key=lambda s: -s[1]):
        if seconds >= 0.01:
            print(f"    {seconds:7.2f}  {label}")


def print_plans(explained: dict) -> None:
    """The auto_explain plans, slowest first: duration, the statement's first line, the plan's
    top node and every trigger line (the whole plans are in the JSON file)."""
    print(f"\nauto_explain (run_ingestion with per-node timing: {explained['seconds']:.2f} s), "
          "statements over 50 ms, slowest first:")  # fmt: skip
    entries = []
    for item in explained["plans"]:
        lines = item["plan"].splitlines()
        head = lines[0] if lines else ""
        if "duration:" not in head:
            continue
        ms = float(head.split("duration:")[1].split("ms")[0])
        if item["file"]:
            query = f"sql/queries/ingestion/{item['file']}.sql"
        else:  # a statement of a trigger or a function: its first line of SQL
            text = item["plan"].split("Query Text:", 1)[-1].splitlines()
            query = next((ln for ln in text if ln.strip() and "--" not in ln[:3]), "?")
        entries.append((ms, query, lines))
    for ms, query, body in sorted(entries, key=lambda e: -e[0]):
        print(f"  {ms / 1000:7.2f} s  {' '.join(query.split())[:110]}")
        nodes = [ln for ln in body[1:] if "actual time" in ln]
        if nodes:
            print("             " + " ".join(nodes[0].split())[:140])
        for line in body:
            if line.strip().startswith("Trigger"):
                print("             " + " ".join(line.split())[:140])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="repetitions (medians reported)")
    parser.add_argument("--data-dir", default=str(common.DEFAULT_DATA_DIR))
    parser.add_argument("--skip-bulk", action="store_true", help="leave out baseline (c)")
    parser.add_argument("--no-diagnostics", action="store_true")
    parser.add_argument("--skip-latency", action="store_true", help="leave out the API probe")
    parser.add_argument("--probe-rate", type=float, default=20.0, help="requests/s per endpoint")
    parser.add_argument("--probe-idle-seconds", type=float, default=10.0)
    parser.add_argument("--profile", action="store_true", help="also time stages and statements")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        run_child(args)
        return 0
    # A terminated benchmark still stops its worker and drops its databases (finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    return orchestrate(args)


if __name__ == "__main__":
    sys.exit(main())
