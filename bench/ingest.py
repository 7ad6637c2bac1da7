"""Ingestion benchmark: the Celery task end to end against the raw floor (calamine's raw rows
plus a bare COPY of them) and against the same reader feeding bulk_create, then API latency
during a load beside the same with none, in one run. What each measures: bench/RESULTS.md.

    .venv/bin/python bench/ingest.py --repeat 1                       # 100k customers / 1M loans
    .venv/bin/python bench/ingest.py --customers 1000 --loans 20000 --repeat 1   # smoke, < 1 min

Needs PostgreSQL (PGHOST/PGPORT/PGUSER) and Redis (BENCH_REDIS_URL); the generator's files are
cached under BENCH_DATA_DIR. Targets: end to end <= 3.0 x floor; bulk_create >= 4 x end to end;
worker peak RSS <= 1 GiB; maximum API latency during the load <= 1 s.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.client
import io
import itertools
import json
import os
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import common

BULK_BATCH = 5_000
RSS_LIMIT_MIB = 1024
FLOOR_RATIO_LIMIT = 3.0
BULK_RATIO_TARGET = 4.0
LATENCY_MAX_MS = 1000.0
LATENCY_CUSTOMERS = 20
PROBE_RATE = 20.0  # requests/s per endpoint
PROBE_IDLE_SECONDS = 10.0
ENDPOINTS = ("check-eligibility", "view-loans")

# --- child phases (common.main) -----------------------------------------------------------------


def _files(data: Path):
    from core.services.ingestion.columns import CUSTOMERS, LOANS
    from core.services.sample_data import CUSTOMERS_FILE, LOANS_FILE

    return ((data / CUSTOMERS_FILE, CUSTOMERS), (data / LOANS_FILE, LOANS))


def phase_floor(data: Path, db: str) -> dict:
    """The raw rows (timed), rendered by str() (not timed), COPYed into text columns (timed)."""
    from psycopg2 import sql
    from python_calamine import CalamineWorkbook

    def _raw_rows(path: Path):
        return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows()

    started = time.perf_counter()
    rows = sum(1 for path, _ in _files(data) for _ in _raw_rows(path))
    read_seconds = time.perf_counter() - started
    texts = {}
    for path, file in _files(data):
        lines = ("\t".join(map(str, row)) + "\n" for row in _raw_rows(path))
        texts[file.name] = "".join(itertools.islice(lines, 1, None))  # below the header
    with contextlib.closing(common.connect(db)) as conn, conn.cursor() as cur:  # autocommit
        cur.execute(common.bench_sql("bare_copy_tables"))
        started = time.perf_counter()
        for name, text in texts.items():
            copy = sql.SQL("COPY {} FROM STDIN").format(sql.Identifier(f"bare_{name}"))
            cur.copy_expert(copy, io.StringIO(text), 1 << 16)
        copy_seconds = time.perf_counter() - started
    return {"seconds": read_seconds + copy_seconds, "read_seconds": read_seconds,
            "copy_seconds": copy_seconds, "rows": rows}  # fmt: skip


def phase_bulk(data: Path, db: str) -> dict:
    """Each row's COPY fields (split: the generator's names hold nothing COPY escapes) typed by
    their column's kind (columns.py) into a model; bulk_create in batches, one transaction."""
    import datetime as dt
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone

    from core.models import Customer, Loan
    from core.services.ingestion.columns import DATE, TEXT
    from core.services.ingestion.read import open_sheet

    today = timezone.localdate()  # credit_today() as Python sees it
    fields = {"monthly_payment": "monthly_installment"}  # the model's name of a column
    rows = 0
    started = time.perf_counter()
    with transaction.atomic():
        for (path, file), model in zip(_files(data), (Customer, Loan), strict=True):
            kinds = [(c.name, c.kind, c.decimals) for c in file.staged]
            width = len(kinds) + 1  # the row number, then the fields; the text fields are \N
            batch = []
            for line in open_sheet(path, file).copy_lines():
                cells = line.split("\t")[1:width]
                values = {
                    fields.get(name, name): cell if kind == TEXT else
                    dt.date.fromisoformat(cell) if kind == DATE else
                    Decimal(cell) if decimals else int(cell)
                    for (name, kind, decimals), cell in zip(kinds, cells, strict=True)
                }  # fmt: skip
                if model is Loan:
                    values["is_active"] = values["end_date"] > today
                batch.append(model(**values))
                if len(batch) == BULK_BATCH:
                    model.objects.bulk_create(batch)
                    rows, batch = rows + len(batch), []
            model.objects.bulk_create(batch)
            rows += len(batch)
    return {"seconds": time.perf_counter() - started, "rows": rows}


def phase_e2e_client(data: Path, db: str) -> dict:
    """Enqueue as `manage.py ingest_data` does; follow the task to its end, noting each stage."""
    from core.management.ingest_wait import wait_for_ingestion
    from core.services.ingestion import runs

    stages: dict[str, float] = {}  # stage: when the client first saw it

    def note(meta: dict) -> None:
        stages.setdefault(meta["stage"], time.perf_counter() - started)

    started = time.perf_counter()
    task_id = runs.enqueue_ingestion(*(path for path, _ in _files(data)))
    outcome = wait_for_ingestion(task_id, note, timeout=3600, poll_seconds=0.05)
    if not outcome.succeeded:
        raise SystemExit(f"ingestion failed: {outcome.report}")
    return {"seconds": time.perf_counter() - started, "result": outcome.result, "stages": stages}


PHASES = {"floor": phase_floor, "bulk": phase_bulk, "e2e_client": phase_e2e_client}

# --- the orchestrator ---------------------------------------------------------------------------


def measure(phase: str, data: Path, expected: tuple[int, int], *, probe: bool = False) -> dict:
    """One phase in a fresh database. "e2e" gets a worker of its own, and afterwards the rows
    and the current_debt invariant are checked; with probe, also the shipped web role, probed
    with no load running and then during the load."""
    if phase != "e2e":
        with common.fresh_database(phase, migrated=phase == "bulk") as db:
            return common.spawn_phase(__file__, phase, db, data)
    with common.fresh_database("latency" if probe else "e2e") as db:
        worker, server = common.CeleryWorker(db), probe and common.Gunicorn(db)
        try:
            worker.wait_ready()
            time.sleep(1.0)  # the start-up maturity sweep (an empty table) finishes first
            idle_rss = common.rss_mib(worker.process.pid, "VmRSS")
            load = functools.partial(common.spawn_phase, __file__, "e2e_client", db, data)
            if server:
                server.wait_ready()
                customers, approved = seed_api_customers(server.port, LATENCY_CUSTOMERS)
                expected = (expected[0] + LATENCY_CUSTOMERS, expected[1] + approved)
                probing = functools.partial(probe_latency, server.port, customers)
                _, idle = probing(lambda: time.sleep(PROBE_IDLE_SECONDS))
                result, during = probing(load)
                result.update(idle=idle, during_load=during)
            else:
                result = load()
            result.update(worker_idle_rss_mib=idle_rss,
                          worker_peak_rss_mib=common.rss_mib(worker.process.pid))  # fmt: skip
        finally:
            worker.stop()
            if server:
                server.stop()
        *found, result["worker_run"] = common.query(db, common.bench_sql("check_loaded"))[0]
    if found != [*expected, 0]:
        raise RuntimeError(f"the run left (customers, loans, debts drifting) = {found}")
    return result


def probe_latency(port: int, customers: list[int], while_running: Callable):
    """Drive check-eligibility and view-loans at PROBE_RATE (a thread each; a slow answer delays
    the next request) while while_running() runs; returns its result and each endpoint's
    latencies, where a request that waited on a lock of the load shows as a long one."""
    latencies: dict[str, list[float]] = {name: [] for name in ENDPOINTS}
    errors, stopping = [], threading.Event()

    def drive(name: str) -> None:
        rng = random.Random(name)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        next_at = time.perf_counter()
        while not stopping.is_set():
            customer = rng.choice(customers)
            ask = {"customer_id": customer, "loan_amount": 100000, "interest_rate": 12,
                   "tenure": 12}  # fmt: skip
            request = (("GET", f"/view-loans/{customer}", None) if name == "view-loans" else
                       ("POST", "/check-eligibility", json.dumps(ask).encode()))  # fmt: skip
            began = time.perf_counter()
            try:
                conn.request(*request, headers={"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                if response.status >= 500:
                    errors.append(response.status)
            except OSError as exc:
                errors.append(exc)
                conn.close()
            latencies[name].append((time.perf_counter() - began) * 1000)
            next_at += 1.0 / PROBE_RATE
            stopping.wait(max(0.0, next_at - time.perf_counter()))
        conn.close()

    threads = [threading.Thread(target=drive, args=(name,), daemon=True) for name in latencies]
    for thread in threads:
        thread.start()
    try:
        result = while_running()
    finally:
        stopping.set()
        for thread in threads:
            thread.join(timeout=60)
    figures: dict = {"errors": len(errors)}
    for name, values in latencies.items():
        ordered = sorted(values)
        figures[name] = {"requests": len(ordered), "p99_ms": common.percentile(ordered, 99),
                         "max_ms": ordered[-1] if ordered else float("nan")}  # fmt: skip
    return result, figures


def seed_api_customers(port: int, count: int) -> tuple[list[int], int]:
    """Customers registered through the API (service ids: no file row touches them), each with
    one loan asked for; returns their ids and how many loans were approved."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(path: str, body: dict) -> dict:
        conn.request("POST", path, json.dumps(body).encode(), {"Content-Type": "application/json"})
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
        ask = {"customer_id": ids[-1], "loan_amount": 50000, "interest_rate": 14, "tenure": 12}
        approved += bool(post("/create-loan", ask).get("loan_approved"))
    conn.close()
    return ids, approved


def orchestrate(args: argparse.Namespace) -> int:
    data = common.ensure_sample_files(args.customers, args.loans)
    expected = (args.customers, args.loans)
    total = sum(expected)
    print(f"ingestion benchmark: {args.customers:,} customers + {args.loans:,} loans = "
          f"{total:,} rows, {args.repeat} repetition(s), files in {data}\nmachine:")  # fmt: skip
    machine = common.print_machine()
    runs: dict[str, list[dict]] = {"floor": [], "e2e": [], "bulk": []}
    for repetition in range(1, args.repeat + 1):  # interleaved: a noisy spell hits all alike
        for name in runs:
            runs[name].append(measure(name, data, expected) | {"load": os.getloadavg()[0]})
            print(f"  run {repetition} {name:6} {runs[name][-1]['seconds']:8.2f} s   "
                  f"(1-min load average {runs[name][-1]['load']:.1f})", flush=True)  # fmt: skip
    latency = measure("e2e", data, expected, probe=True)

    def med(name: str, key: str = "seconds") -> float:
        return statistics.median(r[key] for r in runs[name])

    print(f"\n{'measure':52} {'median s':>9} {'rows/s':>10}   each run (s)")
    for label, name, key in [
        ("floor: calamine's raw rows, both workbooks", "floor", "read_seconds"),
        ("floor: bare COPY of them, text columns, no index", "floor", "copy_seconds"),
        ("floor (the sum)", "floor", "seconds"),
        ("end to end: Celery task, enqueue to SUCCESS", "e2e", "seconds"),
        ("reader + Django bulk_create (batch 5,000)", "bulk", "seconds"),
    ]:
        each = "  ".join(f"{r[key]:.2f}" for r in runs[name])
        print(f"{label:52} {med(name, key):9.2f} {total / med(name, key):10,.0f}   {each}")
    last, peak = runs["e2e"][-1], max(r["worker_peak_rss_mib"] for r in runs["e2e"])
    print(f"worker RSS idle {last['worker_idle_rss_mib']:.0f} MiB, peak (VmHWM) {peak:.0f} MiB; "
          f"ingestion_runs: {last['worker_run']} s\nstages of the last end-to-end run "
          "(client-observed start, length, s):")  # fmt: skip
    stages = [*last["stages"].items(), ("", last["seconds"])]
    for (stage, at), (_, end) in itertools.pairwise(stages):
        print(f"  {at:7.2f} {end - at:7.2f}  {stage}")
    ratio = med("e2e") / med("floor")
    bulk = med("bulk") / med("e2e")
    print(f"\ntargets:\n  end to end <= {FLOOR_RATIO_LIMIT:g} x floor: {med('e2e'):.2f} / "
          f"{med('floor'):.2f} = {ratio:.2f} x   {common.verdict(ratio <= FLOOR_RATIO_LIMIT)}\n"
          f"  bulk_create >= {BULK_RATIO_TARGET:g} x end to end: {bulk:.2f} x   "
          f"{common.verdict(bulk >= BULK_RATIO_TARGET)}\n  worker peak RSS <= {RSS_LIMIT_MIB} "
          f"MiB: {peak:.0f} MiB   {common.verdict(peak <= RSS_LIMIT_MIB)}")  # fmt: skip
    print(f"\nAPI latency, {PROBE_RATE:g} requests/s per endpoint, idle for {PROBE_IDLE_SECONDS:g}"
          f" s, then during a {latency['seconds']:.1f} s load:\n  {'endpoint':18} {'idle p99':>9}"
          f" {'idle max':>9} {'load p99':>9} {'load max':>9} {'requests':>9}")  # fmt: skip
    for name in ENDPOINTS:
        idle, busy = latency["idle"][name], latency["during_load"][name]
        cells = [f"{f[key]:7.1f}ms" for f in (idle, busy) for key in ("p99_ms", "max_ms")]
        print(f"  {name:18} {' '.join(cells)} {busy['requests']:9}")
    worst = max(latency["during_load"][name]["max_ms"] for name in ENDPOINTS)
    errors = latency["idle"]["errors"] + latency["during_load"]["errors"]
    ok = worst <= LATENCY_MAX_MS and errors == 0
    print(f"  errors (5xx or transport): {errors}\n  maximum during the load <= "
          f"{LATENCY_MAX_MS:.0f} ms: {worst:.0f} ms   {common.verdict(ok)}")  # fmt: skip
    common.save_figures(f"ingest-{args.loans}", machine=machine, args=vars(args), runs=runs,
                        latency=latency)  # fmt: skip
    return 0


def main() -> int:
    parser = common.arguments(__doc__)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    return common.main(parser, PHASES, orchestrate)


if __name__ == "__main__":
    sys.exit(main())
