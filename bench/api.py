"""API benchmark: gunicorn on 127.0.0.1 over 100k customers / 1M loans, a bounded closed-loop
load at 1, 8 and 32 clients, and GET /health as the framework floor measured in the same run.

    .venv/bin/python bench/api.py                       # loads 100k/1M into a fresh database
    .venv/bin/python bench/api.py --keep-db             # ... and keeps it (prints its name)
    .venv/bin/python bench/api.py --db credit_bench_<id>_api   # reuse a kept database
    .venv/bin/python bench/api.py --customers 1000 --loans 20000 --seconds 2 --repeat 1  # smoke

Needs PostgreSQL and Redis as bench/ingest.py does. The data are the project's generated
sample files (cached in BENCH_DATA_DIR), loaded through core.services.ingestion.pipeline, then
VACUUM (ANALYZE)d once, as autovacuum would after a bulk load.

The server: gunicorn config.wsgi with DJANGO_DEBUG=false, a generated secret, log level WARNING
(so the per-request log line is not written), CONN_MAX_AGE 60 (the default), and by default
2 x cores + 1 sync workers (--workers, --worker-class, --threads to try others).

The load: for each repetition, each client count and each endpoint, a warm-up (not recorded)
then a measured window that ends after --seconds or --max-requests requests, whichever comes
first. Requests are spread over random customers and loans with realistic bodies. The Python
generator (bench/loadgen.py) runs on the same 2 cores as the server; its CPU time is reported.
GET /health pings PostgreSQL (SELECT 1) and Redis (PING, a new connection each time): it is the
floor of a request that touches both, not an empty request.

create-loan-key is create-loan with a fresh Idempotency-Key on every request (the key is
locked, looked up and stored in the loan's transaction). After the load of each server, the
server is brought to --scrape-at requests served in all (GET /health/live fills the gap) and
GET /metrics is timed over --scrapes scrapes: the cost of adding up the multiprocess files of
every gunicorn worker (the server runs with PROMETHEUS_MULTIPROC_DIR, as in the image).

Targets at 8 clients, as shares of /health's requests/s in the same run: check-eligibility
(which writes its decision row) >= 85 %, create-loan (decision row and, when approved, the loan,
under the customer's row lock) >= 60 %; p99 <= 25 ms; create-loan-key requests/s >= 80 % of
create-loan's; view-statement of a 600-installment loan p50 <= 3 x view-loan's. make-payment
and view-statement run over loans made for the run (bench/sql/ledger_loans.sql); their
throughput is printed beside /health's.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import time
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
import loadgen

RESULT_MARK = "BENCH_RESULT "
SQL_DIR = Path(__file__).resolve().parent / "sql"
BASE_ENDPOINTS = (
    "health", "check-eligibility", "view-loan", "view-loans", "create-loan", "create-loan-key",
)  # fmt: skip
# The ledger's endpoints, over LEDGER_LOANS loans of 600 installments (bench/sql/ledger_loans.sql)
LEDGER_ENDPOINTS = ("make-payment", "view-statement")
ENDPOINTS = BASE_ENDPOINTS + LEDGER_ENDPOINTS
LEDGER_LOANS = 500
# view-statement (600 installments) p50 at TARGET_CLIENTS: at most this many times view-loan's.
STATEMENT_LATENCY_FACTOR = 3.0
CLIENTS = (1, 8, 32)
TARGET_CLIENTS = 8
DEFAULT_SERVER = "0xsync"  # 2 x cores + 1 sync workers; see --servers
SHIPPED = common.SHIPPED
# Requests/s of each endpoint as a share of /health's, at TARGET_CLIENTS clients.
THROUGHPUT_SHARE_TARGETS = {"check-eligibility": 0.85, "create-loan": 0.60}
P99_TARGET_MS = 25.0
KEYED_SHARE_TARGET = 0.8
SAMPLE_IDS = 20_000
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- requests -----------------------------------------------------------------------------------

TENURES = (6, 12, 18, 24, 36, 48, 60, 84, 120)


def loan_body(rng: random.Random, customers: list[int]) -> bytes:
    cents = rng.randrange(800, 1801)
    return json.dumps(
        {
            "customer_id": rng.choice(customers),
            "loan_amount": rng.randrange(50, 1001) * 1000,
            "interest_rate": float(f"{cents // 100}.{cents % 100:02d}"),
            "tenure": rng.choice(TENURES),
        }
    ).encode()


def request_makers(
    loan_ids: list[int], customer_ids: list[int], ledger: list[tuple[int, int, str]] = ()
) -> dict:
    """ledger: (customer_id, loan_id, EMI) of the loans make-payment and view-statement use."""
    return {
        "make-payment": lambda rng: (
            lambda c, lo, emi: ("POST", f"/make-payment/{c}/{lo}",
                                f'{{"amount": {emi}}}'.encode())
        )(*rng.choice(ledger)),
        "view-statement": lambda rng: (
            lambda c, lo, _emi: ("GET", f"/view-statement/{c}/{lo}", None)
        )(*rng.choice(ledger)),
        "health": lambda rng: ("GET", "/health", None),
        "check-eligibility": lambda rng: (
            "POST", "/check-eligibility", loan_body(rng, customer_ids)),
        "create-loan": lambda rng: ("POST", "/create-loan", loan_body(rng, customer_ids)),
        "create-loan-key": lambda rng: (
            "POST", "/create-loan", loan_body(rng, customer_ids),
            {"Idempotency-Key": str(uuid.UUID(int=rng.getrandbits(128), version=4))}),
        "view-loan": lambda rng: ("GET", f"/view-loan/{rng.choice(loan_ids)}", None),
        "view-loans": lambda rng: ("GET", f"/view-loans/{rng.choice(customer_ids)}", None),
    }  # fmt: skip


# --- child phases (a process with Django configured for the benchmark's database) --------------


def phase_load(data: Path) -> dict:
    from core.services.ingestion.pipeline import run_ingestion
    from core.services.sample_data import CUSTOMERS_FILE, LOANS_FILE

    started = time.perf_counter()
    result = run_ingestion(data / CUSTOMERS_FILE, data / LOANS_FILE)
    return {"seconds": time.perf_counter() - started, "result": result.as_dict()}


def phase_explain(customer_id: int) -> dict:
    """The single-customer score query exactly as the service sends it (captured from
    credit_score.get_credit_profile), its EXPLAIN (ANALYZE, BUFFERS), and its own latency."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.services.credit_score import get_credit_profile

    with CaptureQueriesContext(connection) as captured:
        profile = get_credit_profile(customer_id)
    sql = captured.captured_queries[-1]["sql"]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plan = [row[0] for row in cursor.fetchall()]
        timings = []
        for _ in range(200):
            began = time.perf_counter()
            cursor.execute(sql)
            cursor.fetchall()
            timings.append((time.perf_counter() - began) * 1000)
    timings.sort()
    return {
        "customer_id": customer_id,
        "credit_score": profile.credit_score if profile else None,
        "sql": sql,
        "plan": plan,
        "query_ms_p50": common.percentile(timings, 50),
        "query_ms_p99": common.percentile(timings, 99),
    }


def phase_inproc(requests: int) -> dict:
    """Diagnostic: each endpoint through Django's test Client in this one process (no HTTP
    server, no network between client and server): wall and CPU ms per request, SQL queries per
    request, and a cProfile of check-eligibility (functions by own time)."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test import Client

    conn = connect(connection.settings_dict["NAME"])
    with conn.cursor() as cur:
        cur.execute(common.bench_sql("sample_ids"), {"limit": 2000})
        rows = cur.fetchall()
    conn.close()
    loans = [i for kind, i in rows if kind == "loan"]
    customers = [i for kind, i in rows if kind == "customer"]
    makers = request_makers(loans, customers)
    client = Client(HTTP_HOST="127.0.0.1")
    rng = random.Random(7)

    def send(endpoint: str):
        method, path, body, *extra = makers[endpoint](rng)
        headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (extra or [{}])[0].items()}
        if method == "GET":
            return client.get(path)
        return client.post(path, data=body, content_type="application/json", **headers)

    out: dict = {}
    for endpoint in BASE_ENDPOINTS:
        for _ in range(30):
            send(endpoint)
        statements: list[str] = []

        def count(execute, sql, params, many, context, statements=statements):
            statements.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            send(endpoint)
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(requests):
            send(endpoint)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        out[endpoint] = {
            "wall_ms": 1000 * wall / requests,
            "cpu_ms": 1000 * cpu / requests,
            "queries": len(statements),
        }
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        send("check-eligibility")
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = sum(v[2] for v in stats.stats.values())
    top = sorted(stats.stats.items(), key=lambda kv: -kv[1][3])[:25]
    own = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:25]
    out["profile_check_eligibility"] = {
        "total_own_seconds": total,
        "by_own": [
            {"function": f"{Path(f).name}:{line} {name}",
             "own_ms_per_request": 1000 * v[2] / requests}
            for (f, line, name), v in own
        ],
        "by_cumulative": [
            {"function": f"{Path(f).name}:{line} {name}", "cum_ms_per_request":
             1000 * v[3] / requests, "own_ms_per_request": 1000 * v[2] / requests}
            for (f, line, name), v in top
        ],
    }  # fmt: skip
    return out


def run_child(args: argparse.Namespace) -> None:
    common.setup_django(args.db)
    if args.phase == "load":
        result = phase_load(Path(args.data))
    elif args.phase == "inproc":
        result = phase_inproc(int(args.customer))
    else:
        result = phase_explain(int(args.customer))
    common.print_result(result)


def spawn_phase(db: str, *extra: str) -> dict:
    command = [common.PYTHON, __file__, "--db", db, *extra]
    return common.run_phase(command, common.service_env(db), " ".join(extra))


# --- the database -------------------------------------------------------------------------------


def connect(db: str):
    import psycopg2

    conn = psycopg2.connect(common.database_url(db))
    conn.autocommit = True
    return conn


def prepare_database(db: str, data: Path) -> None:
    print(f"loading {data} into {db} through the ingestion pipeline ...", flush=True)
    loaded = spawn_phase(db, "--phase", "load", "--data", str(data))
    print(f"  loaded in {loaded['seconds']:.1f} s: {loaded['result']}")
    conn = connect(db)
    with conn.cursor() as cur:
        cur.execute("VACUUM (ANALYZE) customers, loans")
    conn.close()


def sample_ids(db: str) -> tuple[list[int], list[int]]:
    conn = connect(db)
    with conn.cursor() as cur:
        cur.execute(common.bench_sql("sample_ids"), {"limit": SAMPLE_IDS})
        rows = cur.fetchall()
    conn.close()
    loans = [i for kind, i in rows if kind == "loan"]
    customers = sorted(i for kind, i in rows if kind == "customer")
    return loans, customers


def ledger_loans(db: str, count: int = LEDGER_LOANS) -> list[tuple[int, int, str]]:
    """Insert the loans the ledger endpoints use: (customer_id, loan_id, EMI as JSON text)."""
    conn = connect(db)
    with conn.cursor() as cur:
        cur.execute(common.bench_sql("ledger_loans"), {"count": count})
        rows = [(c, lo, str(emi)) for c, lo, emi in cur.fetchall()]
        cur.execute("ANALYZE loans")
    conn.close()
    return rows


def score_all(db: str, times: int = 3) -> dict:
    conn = connect(db)
    seconds = []
    with conn.cursor() as cur:
        for _ in range(times):
            began = time.perf_counter()
            cur.execute(common.bench_sql("score_all_customers"))
            count, average = cur.fetchone()
            seconds.append(time.perf_counter() - began)
    conn.close()
    return {"customers": count, "avg_score": float(average), "seconds": seconds,
            "median_seconds": common.median(seconds)}  # fmt: skip


def backend_pids(db: str) -> list[int]:
    conn = connect(db)
    with conn.cursor() as cur:
        cur.execute(common.bench_sql("backend_pids"))
        pids = [r[0] for r in cur.fetchall()]
    conn.close()
    return pids


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """CPU seconds (user + system) used so far by each process still alive."""
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime
    return used


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two readings by the processes alive at the second (a process that
    appeared meanwhile counts whole; one that ended meanwhile is not counted)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


# --- the server ---------------------------------------------------------------------------------


# --- the run ------------------------------------------------------------------------------------


def measure_cell(server: common.Gunicorn, db: str, make, clients: int, args, seed: int) -> dict:
    loadgen.run_load(server.port, make, clients=clients, seconds=args.warmup,
                     max_requests=args.max_requests, seed=seed + 1)  # fmt: skip
    web = [server.process.pid, *server.worker_pids()]
    web_before, pg_before = cpu_seconds(web), cpu_seconds(backend_pids(db))
    result = loadgen.run_load(server.port, make, clients=clients, seconds=args.seconds,
                              max_requests=args.max_requests, seed=seed)  # fmt: skip
    web_cpu = cpu_used(web_before, cpu_seconds(web))
    pg_cpu = cpu_used(pg_before, cpu_seconds(backend_pids(db)))
    lat = result.latencies_ms
    return {
        "clients": clients,
        "requests": result.requests,
        "errors": result.errors,
        "seconds": result.seconds,
        "rps": result.rps,
        "p50_ms": common.percentile(lat, 50),
        "p90_ms": common.percentile(lat, 90),
        "p99_ms": common.percentile(lat, 99),
        "max_ms": lat[-1] if lat else float("nan"),
        "statuses": result.statuses,
        "load_average": os.getloadavg()[0],
        # CPU used during the window, in cores (2 = both cores of this machine busy)
        "cores_gunicorn": web_cpu / result.seconds,
        "cores_postgres": pg_cpu / result.seconds,
        "cores_loadgen": result.generator_cpu_seconds / result.seconds,
    }


def requests_served(text: str) -> int:
    """Sum of credit_http_requests_total in an exposition text."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith("credit_http_requests_total{"):
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


def measure_scrapes(server: common.Gunicorn, args) -> dict:
    """Bring the server to args.scrape_at requests served, then time args.scrapes scrapes."""
    url = f"http://127.0.0.1:{server.port}/metrics"

    def scrape() -> tuple[float, str]:
        began = time.perf_counter()
        with urllib.request.urlopen(url, timeout=30) as response:
            text = response.read().decode()
        return (time.perf_counter() - began) * 1000, text

    _, text = scrape()
    served = requests_served(text)
    if served < args.scrape_at:
        loadgen.run_load(server.port, lambda rng: ("GET", "/health/live", None), clients=8,
                         seconds=600, max_requests=args.scrape_at - served, seed=99)  # fmt: skip
    timings, size = [], 0
    for _ in range(args.scrapes):
        ms, text = scrape()
        timings.append(ms)
        size = len(text.encode())
    timings.sort()
    return {
        "requests_served": requests_served(text),
        "scrapes": len(timings),
        "p50_ms": common.percentile(timings, 50),
        "p99_ms": common.percentile(timings, 99),
        "max_ms": timings[-1],
        "bytes": size,
        "files": len(list(Path(server.multiproc).glob("*.db"))),
    }


def parse_server(text: str) -> tuple[int, str, int]:
    """'5xsync' or '3xgthreadx4' (workers x class [x threads]); workers 0 = 2 x cores + 1."""
    parts = text.split("x")
    workers = int(parts[0]) or 2 * (os.cpu_count() or 1) + 1
    return workers, parts[1], int(parts[2]) if len(parts) > 2 else 1


def server_label(config: tuple[int, str, int]) -> str:
    workers, worker_class, threads = config
    return f"{workers}x{worker_class}" + (f"x{threads}" if threads > 1 else "")


def orchestrate(args: argparse.Namespace) -> int:
    (common.ROOT / "bench" / "out").mkdir(exist_ok=True)
    configs = [parse_server(text) for text in args.servers]
    labels = [server_label(c) for c in configs]
    print(f"API benchmark: {args.customers:,} customers / {args.loans:,} loans; gunicorn "
          f"{' and '.join(labels)} (workers x class x threads); clients "
          f"{', '.join(map(str, args.clients))}; windows of {args.seconds:g} s or "
          f"{args.max_requests:,} requests; {args.repeat} repetition(s)")  # fmt: skip
    print("machine:")
    machine = common.print_machine()

    owned = args.db is None
    db = args.db or common.bench_db_name("api")
    if not db.startswith(common.DB_PREFIX):
        raise SystemExit(f"--db must name a benchmark database ({common.DB_PREFIX}*)")
    server = None
    try:
        if owned:
            data = common.ensure_sample_files(
                Path(args.data_dir), args.customers, args.loans, args.seed
            )
            common.create_database(db)
            common.migrate(db)
            prepare_database(db, data)
        loan_ids, customer_ids = sample_ids(db)
        print(f"requests spread over {len(loan_ids):,} random loans and "
              f"{len(customer_ids):,} random customers")  # fmt: skip

        score = explain = inproc = None
        if not args.skip_sql:
            score = score_all(db)
            print(f"scoring all {score['customers']:,} customers through customer_credit_scores: "
                  f"median {score['median_seconds']:.2f} s of {len(score['seconds'])} "
                  f"({', '.join(f'{s:.2f}' for s in score['seconds'])}); "
                  f"average score {score['avg_score']:.1f}")  # fmt: skip
            typical = customer_ids[len(customer_ids) // 2]
            explain = spawn_phase(db, "--phase", "explain", "--customer", str(typical))
            print(
                f"single-customer score query (customer {typical}, as get_credit_profile "
                f"sends it): p50 {explain['query_ms_p50']:.2f} ms, p99 "
                f"{explain['query_ms_p99']:.2f} ms over 200 runs; EXPLAIN (ANALYZE, BUFFERS):"
            )
            for line in explain["plan"]:
                print("    " + line)

            inproc = spawn_phase(db, "--phase", "inproc", "--customer", "300")
            print_inproc(inproc)

        endpoints = [e for e in ENDPOINTS if e in args.endpoints]
        ledger = ledger_loans(db) if set(endpoints) & set(LEDGER_ENDPOINTS) else []
        if ledger:
            print(f"make-payment and view-statement over {len(ledger):,} loans of 600 "
                  "installments made for the run")  # fmt: skip
        makers = request_makers(loan_ids, customer_ids, ledger)
        cells: dict[tuple[str, str, int], list[dict]] = {}
        scrapes: dict[str, list[dict]] = {}
        seed = 0
        for repetition in range(1, args.repeat + 1):
            for config, label in zip(configs, labels, strict=True):
                server = common.Gunicorn(db, *config)
                server.wait_ready()
                for clients in args.clients:
                    for endpoint in endpoints:
                        seed += 1
                        cell = measure_cell(server, db, makers[endpoint], clients, args, seed)
                        cells.setdefault((label, endpoint, clients), []).append(cell)
                        print(f"  run {repetition} {label:12} {endpoint:17} {clients:2} clients "
                              f"{cell['rps']:7.0f} req/s  p50 {cell['p50_ms']:6.2f}  "
                              f"p99 {cell['p99_ms']:6.2f} ms  errors {cell['errors']}  "
                              f"load {cell['load_average']:.1f}",
                              flush=True)  # fmt: skip
                scraped = measure_scrapes(server, args)
                scrapes.setdefault(label, []).append(scraped)
                print(f"  run {repetition} {label:12} GET /metrics at "
                      f"{scraped['requests_served']:,} requests served: "
                      f"p50 {scraped['p50_ms']:.2f} ms, p99 {scraped['p99_ms']:.2f} ms, "
                      f"{scraped['bytes']:,} bytes, "
                      f"{scraped['files']} multiprocess files", flush=True)  # fmt: skip
                server.stop()
                server = None
        report(args, labels, endpoints, cells, score, explain, machine, inproc, scrapes)
    finally:
        if server is not None:
            server.stop()
        if owned and not args.keep_db:
            common.drop_database(db)
        elif owned:
            print(f"\nkept the loaded database: rerun with --db {db} (drop it with: "
                  f"dropdb -h {common.PGHOST} -U {common.PGUSER} {db})")  # fmt: skip
    return 0


def print_inproc(inproc: dict) -> None:
    print("in-process, through Django's test Client (no gunicorn, no HTTP), 300 requests each:")
    for endpoint in BASE_ENDPOINTS:
        row = inproc[endpoint]
        print(
            f"  {endpoint:18} wall {row['wall_ms']:5.2f} ms, Python CPU {row['cpu_ms']:5.2f} ms "
            f"per request, {row['queries']} SQL quer{'y' if row['queries'] == 1 else 'ies'}"
        )
    print("  check-eligibility, cProfile, cumulative ms per request (own ms):")
    for entry in inproc["profile_check_eligibility"]["by_cumulative"][:22]:
        print(
            f"    {entry['cum_ms_per_request']:6.2f} ({entry['own_ms_per_request']:5.2f})  "
            f"{entry['function'][:90]}"
        )


def report(args, labels, endpoints, cells, score, explain, machine, inproc, scrapes) -> None:
    def med(label: str, endpoint: str, clients: int, key: str) -> float:
        return common.median(c[key] for c in cells[(label, endpoint, clients)])

    print()
    print(
        "medians over repetitions (cores: CPU used during the window by gunicorn, by the "
        f"PostgreSQL backends and by the load generator; this machine has {machine['cpus']})"
    )
    print(f"{'server':12} {'endpoint':18} {'clients':>7} {'req/s':>7} {'p50 ms':>7} "
          f"{'p99 ms':>7} {'errors':>6}  {'cores: web':>10} {'pg':>5} {'loadgen':>7}  "
          "statuses (last run)")  # fmt: skip
    for label in labels:
        for clients in args.clients:
            for endpoint in endpoints:
                runs = cells[(label, endpoint, clients)]
                print(f"{label:12} {endpoint:18} {clients:7} "
                      f"{med(label, endpoint, clients, 'rps'):7.0f} "
                      f"{med(label, endpoint, clients, 'p50_ms'):7.2f} "
                      f"{med(label, endpoint, clients, 'p99_ms'):7.2f} "
                      f"{sum(c['errors'] for c in runs):6}  "
                      f"{med(label, endpoint, clients, 'cores_gunicorn'):10.2f} "
                      f"{med(label, endpoint, clients, 'cores_postgres'):5.2f} "
                      f"{med(label, endpoint, clients, 'cores_loadgen'):7.2f}  "
                      f"{dict(sorted(runs[-1]['statuses'].items()))}")  # fmt: skip

    verdicts: dict[str, dict] = {}
    if TARGET_CLIENTS in args.clients and "health" in endpoints:
        for label in labels:
            verdicts[label] = {}
            print(f"\ntargets at {TARGET_CLIENTS} clients, gunicorn {label}:")
            for endpoint, target in THROUGHPUT_SHARE_TARGETS.items():
                if endpoint not in endpoints:
                    continue
                shares = [
                    e["rps"] / h["rps"]
                    for e, h in zip(cells[(label, endpoint, TARGET_CLIENTS)],
                                    cells[(label, "health", TARGET_CLIENTS)], strict=True)
                ]  # fmt: skip
                share = common.median(shares)
                ok = share >= target
                verdicts[label][f"throughput_share_{endpoint}"] = {"value": share, "ok": ok}
                print(f"  {endpoint} req/s >= {100 * target:.0f} % of /health's: "
                      f"{med(label, endpoint, TARGET_CLIENTS, 'rps'):.0f} vs "
                      f"{med(label, 'health', TARGET_CLIENTS, 'rps'):.0f} req/s; median of the "
                      f"same-run ratios {100 * share:.0f} % "
                      f"({', '.join(f'{100 * s:.0f} %' for s in shares)})   "
                      f"{common.verdict(ok)}")  # fmt: skip
            if "create-loan" in endpoints and "create-loan-key" in endpoints:
                shares = [
                    keyed["rps"] / plain["rps"]
                    for keyed, plain in zip(cells[(label, "create-loan-key", TARGET_CLIENTS)],
                                            cells[(label, "create-loan", TARGET_CLIENTS)],
                                            strict=True)
                ]  # fmt: skip
                share = common.median(shares)
                ok = share >= KEYED_SHARE_TARGET
                verdicts[label]["idempotency_key_share"] = {"value": share, "ok": ok}
                print(f"  create-loan with an Idempotency-Key >= 80 % of without: "
                      f"{med(label, 'create-loan-key', TARGET_CLIENTS, 'rps'):.0f} vs "
                      f"{med(label, 'create-loan', TARGET_CLIENTS, 'rps'):.0f} req/s; median of "
                      f"the same-run ratios {100 * share:.0f} % "
                      f"({', '.join(f'{100 * s:.0f} %' for s in shares)})   "
                      f"{common.verdict(ok)}")  # fmt: skip
            if {"view-statement", "view-loan"} <= set(endpoints):
                statement = med(label, "view-statement", TARGET_CLIENTS, "p50_ms")
                loan = med(label, "view-loan", TARGET_CLIENTS, "p50_ms")
                ok = statement <= STATEMENT_LATENCY_FACTOR * loan
                verdicts[label]["statement_vs_view_loan"] = {"value": statement / loan, "ok": ok}
                print(f"  view-statement (600 installments) p50 <= "
                      f"{STATEMENT_LATENCY_FACTOR:g} x view-loan's: {statement:.2f} vs "
                      f"{loan:.2f} ms ({statement / loan:.2f} x)   "
                      f"{common.verdict(ok)}")  # fmt: skip
            for endpoint in LEDGER_ENDPOINTS:
                if endpoint in endpoints and "health" in endpoints:
                    share = med(label, endpoint, TARGET_CLIENTS, "rps") / med(
                        label, "health", TARGET_CLIENTS, "rps"
                    )
                    print(f"  {endpoint} throughput: "
                          f"{med(label, endpoint, TARGET_CLIENTS, 'rps'):.0f} req/s, "
                          f"{100 * share:.0f} % of /health's (no target)")  # fmt: skip
            for endpoint in endpoints:
                p99 = med(label, endpoint, TARGET_CLIENTS, "p99_ms")
                ok = p99 <= P99_TARGET_MS
                if endpoint != "health":
                    verdicts[label][f"p99_{endpoint}"] = {"value": p99, "ok": ok}
                verdict = "(the floor; no target)" if endpoint == "health" else common.verdict(ok)
                print(f"  p99 <= {P99_TARGET_MS:g} ms, {endpoint:17}: {p99:7.2f} ms   {verdict}")
    for label, runs in scrapes.items():
        print(f"\nGET /metrics, gunicorn {label}, at {runs[-1]['requests_served']:,} requests "
              f"served: median p50 {common.median(r['p50_ms'] for r in runs):.2f} ms, median p99 "
              f"{common.median(r['p99_ms'] for r in runs):.2f} ms over {runs[-1]['scrapes']} "
              f"scrapes per run; {runs[-1]['bytes']:,} bytes from {runs[-1]['files']} "
              "multiprocess files")  # fmt: skip
    out = common.ROOT / "bench" / "out" / f"api-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({
        "machine": machine, "args": vars(args),
        "cells": {f"{label} {e} {c}": v for (label, e, c), v in cells.items()},
        "score_all": score, "explain": explain, "inproc": inproc, "verdicts": verdicts,
        "metrics_scrapes": scrapes,
    }, indent=1, default=str))  # fmt: skip
    print(f"\nraw figures: {out.relative_to(common.ROOT)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data-dir", default=str(common.DEFAULT_DATA_DIR))
    parser.add_argument("--db", help="an already loaded benchmark database to reuse")
    parser.add_argument("--keep-db", action="store_true", help="keep the database it loads")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0, help="measured window per cell")
    parser.add_argument("--warmup", type=float, default=1.0, help="unrecorded warm-up per cell")
    parser.add_argument("--max-requests", type=int, default=20_000, help="per cell, at most")
    parser.add_argument("--clients", type=lambda s: [int(x) for x in s.split(",")],
                        default=list(CLIENTS))  # fmt: skip
    parser.add_argument("--endpoints", type=lambda s: s.split(","), default=list(ENDPOINTS))
    parser.add_argument(
        "--servers",
        type=lambda s: s.split(","),
        default=[DEFAULT_SERVER],
        help="gunicorn configurations to measure in turn, e.g. 5xsync,3xgthreadx4,2xshippedx4 "
        "(workers x class [x threads]; 0 workers = 2 x cores + 1; class 'shipped' = the web "
        "role's own config/gunicorn.conf.py with WEB_CONCURRENCY x WEB_THREADS)",
    )
    parser.add_argument("--skip-sql", action="store_true", help="leave out score-all and EXPLAIN")
    parser.add_argument("--scrape-at", type=int, default=10_000,
                        help="requests served before GET /metrics is timed")  # fmt: skip
    parser.add_argument("--scrapes", type=int, default=30, help="GET /metrics timed, per server")
    parser.add_argument("--phase", choices=("load", "explain", "inproc"), help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--customer", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        run_child(args)
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    return orchestrate(args)


if __name__ == "__main__":
    sys.exit(main())
