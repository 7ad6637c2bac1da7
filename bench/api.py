"""API benchmark: what each endpoint costs against two floors measured in the same run.

    .venv/bin/python bench/api.py                       # loads 100k/1M into a fresh database
    .venv/bin/python bench/api.py --keep-db             # ... and keeps it (prints its name)
    .venv/bin/python bench/api.py --db credit_bench_<id>_api   # reuse a kept database
    .venv/bin/python bench/api.py --customers 1000 --loans 20000 --seconds 2 --repeat 1  # smoke

Needs PostgreSQL and Redis as bench/ingest.py does. The generated sample files are loaded
through core.services.ingestion.pipeline, then VACUUM (ANALYZE)d once. gunicorn's sync workers
(--server shipped: the web role's own) serve bench/floor.py's application: the service at the
shipped log level (INFO: a JSON line per request), plus the floors production never routes.

Every endpoint is measured once per interleaved round (the order rotated each round), after an
unrecorded warm-up, at closed-loop clients (bench/loadgen.py, on the same cores): requests/s,
p50/p99 latency and the gunicorn workers' CPU per request (utime + stime from /proc). Beside
the service's endpoints: (a) the framework floor, GET /health/live; (b) the hand-written floors
(bench/floor.py) of check-eligibility's scoring read, view-loan and view-loans. Setup and
targets: bench/RESULTS.md, section 2.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

import common
import loadgen

SAMPLE_IDS = 20_000
LEDGER_LOANS = 500
TENURES = (6, 12, 18, 24, 36, 48, 60, 84, 120)
FRAMEWORK_FLOOR = "health-live"
# endpoint -> its hand-written floor (bench/floor.py)
FLOORS = {e: f"floor-{e}" for e in ("check-eligibility", "view-loan", "view-loans")}
SHARE_TARGETS = {"check-eligibility": 0.60, "view-loan": 0.70, "view-loans": 0.70}
CPU_TARGETS_MS = {"check-eligibility": 1.2, "health": 0.6}
ENDPOINTS = (
    FRAMEWORK_FLOOR, *FLOORS.values(), "health", "health-ready", "metrics", "register",
    "check-eligibility", "create-loan", "create-loan-key", "view-loan", "view-loans",
    "credit-score", "view-decision", "make-payment", "view-statement",
)  # fmt: skip
# A phone number already taken is a 409, the answer the endpoint owes it.
OK_STATUSES = {"register": frozenset({201, 409})}


def loan_body(rng: random.Random, customers: list[int]) -> bytes:
    cents = rng.randrange(800, 1801)
    return json.dumps({
        "customer_id": rng.choice(customers), "loan_amount": rng.randrange(50, 1001) * 1000,
        "interest_rate": float(f"{cents // 100}.{cents % 100:02d}"), "tenure": rng.choice(TENURES),
    }).encode()  # fmt: skip


def register_body(rng: random.Random) -> bytes:
    return json.dumps({
        "first_name": "Bench", "last_name": "Client", "age": rng.randrange(21, 60),
        "monthly_income": rng.randrange(20, 200) * 1000,
        "phone_number": rng.randrange(6_000_000_000, 7_000_000_000),
    }).encode()  # fmt: skip


def request_makers(ids: dict[str, list]) -> dict:
    """(method, path, body[, headers]) of one request of each endpoint, given a seeded Random.
    ids: "loan", "customer", "decision" ids and "ledger" (customer_id, loan_id, EMI) rows."""
    loans, customers, decisions = ids["loan"], ids["customer"], ids["decision"]
    by_id = {"floor-view-loan": ("/bench-floor/view-loan/", loans), "view-loan": ("/view-loan/",
             loans), "floor-view-loans": ("/bench-floor/view-loans/", customers), "view-loans":
             ("/view-loans/", customers), "credit-score": ("/credit-score/", customers),
             "view-decision": ("/view-decision/", decisions)}  # fmt: skip
    fixed = {FRAMEWORK_FLOOR: "/health/live", "health": "/health", "health-ready":
             "/health/ready", "metrics": "/metrics"}  # fmt: skip
    loan_posts = {"floor-check-eligibility": "/bench-floor/check-eligibility", "create-loan":
                  "/create-loan", "check-eligibility": "/check-eligibility"}  # fmt: skip
    makers = {name: lambda rng, p=p, pool=pool: ("GET", f"{p}{rng.choice(pool)}", None)
              for name, (p, pool) in by_id.items()}  # fmt: skip
    makers |= {name: lambda rng, p=p: ("GET", p, None) for name, p in fixed.items()}
    makers |= {name: lambda rng, p=p: ("POST", p, loan_body(rng, customers))
               for name, p in loan_posts.items()}  # fmt: skip

    def ledger_request(rng, method: str, path: str):
        customer, loan, emi = rng.choice(ids["ledger"])
        body = f'{{"amount": {emi}}}'.encode() if method == "POST" else None
        return method, f"/{path}/{customer}/{loan}", body

    return makers | {
        "register": lambda rng: ("POST", "/register", register_body(rng)),
        "create-loan-key": lambda rng: (
            "POST", "/create-loan", loan_body(rng, customers),
            {"Idempotency-Key": str(uuid.UUID(int=rng.getrandbits(128), version=4))}),
        "make-payment": lambda rng: ledger_request(rng, "POST", "make-payment"),
        "view-statement": lambda rng: ledger_request(rng, "GET", "view-statement"),
    }  # fmt: skip


def phase_load(data: Path, db: str) -> dict:
    """Child process: the sample files through the ingestion pipeline."""
    from core.services.ingestion.pipeline import run_ingestion
    from core.services.sample_data import CUSTOMERS_FILE, LOANS_FILE

    started = time.perf_counter()
    result = run_ingestion(data / CUSTOMERS_FILE, data / LOANS_FILE)
    return {"seconds": time.perf_counter() - started, "result": result.as_dict()}


def prepare_database(db: str, data: Path) -> None:
    print(f"loading {data} into {db} through the ingestion pipeline ...", flush=True)
    loaded = common.spawn_phase(__file__, "load", db, data)
    print(f"  loaded in {loaded['seconds']:.1f} s: {loaded['result']}")
    common.query(db, "VACUUM (ANALYZE) customers, loans")


def sample_ids(db: str) -> dict[str, list]:
    rows = common.query(db, common.bench_sql("sample_ids"), {"limit": SAMPLE_IDS})
    ids = {kind: [v for k, v in rows if k == kind] for kind in ("loan", "customer")}
    ledger = common.query(db, common.bench_sql("ledger_loans"), {"count": LEDGER_LOANS})
    ids["ledger"] = [(c, lo, str(emi)) for c, lo, emi in ledger]
    common.query(db, "ANALYZE loans")
    return ids


def measure(server: common.Gunicorn, endpoint: str, make, args, seed: int) -> dict:
    ok = OK_STATUSES.get(endpoint, frozenset({200, 201}))
    load = dict(clients=args.clients, max_requests=args.max_requests, ok_statuses=ok)
    loadgen.run_load(server.port, make, seconds=args.warmup, seed=seed + 1, **load)
    pids = server.worker_pids()
    before = common.cpu_seconds(pids)
    result = loadgen.run_load(server.port, make, seconds=args.seconds, seed=seed, **load)
    after = common.cpu_seconds(pids)
    cpu = sum(after[pid] - before[pid] for pid in after if pid in before)
    lat = result.latencies_ms
    return {
        "requests": result.requests, "errors": result.errors, "rps": result.rps,
        "p50_ms": common.percentile(lat, 50), "p99_ms": common.percentile(lat, 99),
        "cpu_ms": 1000 * cpu / max(1, result.requests), "statuses": result.statuses,
        "workers_restarted": len(after) < len(pids), "load": os.getloadavg()[0],
    }  # fmt: skip


def run(args: argparse.Namespace, db: str) -> dict:
    ids = sample_ids(db)
    endpoints = [e for e in ENDPOINTS if e in args.endpoints]
    cells: dict[str, list[dict]] = {e: [] for e in endpoints}
    # sync: the footing (a connection per request, one request per worker at a time);
    # shipped: config/gunicorn.conf.py (asyncio worker, WEB_THREADS threads, keep-alive).
    app = (["bench.floor:application()", "--worker-class", "sync"] if args.server == "sync"
           else ["--config", "config/gunicorn.conf.py", "bench.floor:shipped()"])  # fmt: skip
    server = common.Gunicorn(db, args=[
        *app, "--workers", str(args.workers), "--log-level", "warning", "--worker-tmp-dir",
        "/dev/shm", "--no-control-socket", "--timeout", "30",
    ], log="api-gunicorn.log", DJANGO_LOG_LEVEL=args.log_level)  # fmt: skip
    try:
        server.wait_ready()
        # Decisions for view-decision to read: a short load of check-eligibility first.
        makers = request_makers({**ids, "decision": [0]})
        loadgen.run_load(server.port, makers["check-eligibility"], clients=2, seconds=2,
                         max_requests=2000, seed=99)  # fmt: skip
        ids["decision"] = [r[0] for r in common.query(
            db, "SELECT decision_id FROM loan_decisions ORDER BY random() LIMIT 2000")]  # fmt: skip
        makers = request_makers(ids)
        for round_ in range(args.repeat):
            shift = round_ % len(endpoints)
            for n, endpoint in enumerate(endpoints[shift:] + endpoints[:shift]):
                seed = args.seed + 1000 * round_ + n
                cell = measure(server, endpoint, makers[endpoint], args, seed)
                cells[endpoint].append(cell)
                print(f"  round {round_ + 1} {endpoint:24} {cell['rps']:7.0f} req/s  p50 "
                      f"{cell['p50_ms']:6.2f}  p99 {cell['p99_ms']:6.2f} ms  CPU "
                      f"{cell['cpu_ms']:5.2f} ms/req  errors {cell['errors']}  load "
                      f"{cell['load']:.1f}", flush=True)  # fmt: skip
    finally:
        server.stop()
    return cells


def ratios(cells: dict, endpoint: str, floor: str) -> list[float]:
    return [e["rps"] / f["rps"] for e, f in zip(cells[endpoint], cells[floor], strict=True)]


def report(args, cells: dict, machine: dict) -> dict:
    med = statistics.median
    print(f"\nmedians of {args.repeat} round(s); {args.workers} {args.server} workers, "
          f"{args.clients} clients; CPU = gunicorn workers' CPU per request")  # fmt: skip
    print(f"{'endpoint':24} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms':>7} "
          f"{'vs live':>8} {'vs own floor':>12}  errors  statuses (last round)")  # fmt: skip
    for endpoint, runs in cells.items():
        live = (f"{100 * med(ratios(cells, endpoint, FRAMEWORK_FLOOR)):7.0f}%"
                if FRAMEWORK_FLOOR in cells else "")  # fmt: skip
        own = (f"{100 * med(ratios(cells, endpoint, FLOORS[endpoint])):11.0f}%"
               if FLOORS.get(endpoint) in cells else "")  # fmt: skip
        print(f"{endpoint:24} {med(r['rps'] for r in runs):7.0f} "
              f"{med(r['p50_ms'] for r in runs):7.2f} {med(r['p99_ms'] for r in runs):7.2f} "
              f"{med(r['cpu_ms'] for r in runs):7.2f} {live:>8} {own:>12}  "
              f"{sum(r['errors'] for r in runs):6}  "
              f"{dict(sorted(runs[-1]['statuses'].items()))}")  # fmt: skip
    verdicts = {}
    print("\ntargets:")
    for endpoint, target in SHARE_TARGETS.items():
        if endpoint in cells and FLOORS[endpoint] in cells:
            shares = ratios(cells, endpoint, FLOORS[endpoint])
            ok = med(shares) >= target
            verdicts[f"{endpoint} share of its floor"] = {"value": med(shares), "ok": ok}
            print(f"  {endpoint} req/s >= {100 * target:.0f} % of {FLOORS[endpoint]}'s: "
                  f"{100 * med(shares):.0f} % ({', '.join(f'{100 * s:.0f}' for s in shares)})"
                  f"   {common.verdict(ok)}")  # fmt: skip
    for endpoint, target in CPU_TARGETS_MS.items():
        if endpoint in cells:
            cpu = med(r["cpu_ms"] for r in cells[endpoint])
            ok = cpu <= target
            verdicts[f"{endpoint} CPU per request"] = {"value": cpu, "ok": ok}
            print(f"  {endpoint} CPU per request <= {target:g} ms: {cpu:.2f} ms "
                  f"({', '.join(format(r['cpu_ms'], '.2f') for r in cells[endpoint])})"
                  f"   {common.verdict(ok)}")  # fmt: skip
    common.save_figures("api", machine=machine, args=vars(args), cells=cells, verdicts=verdicts)
    return verdicts


def orchestrate(args: argparse.Namespace) -> int:
    print(f"API benchmark: {args.customers:,} customers / {args.loans:,} loans; {args.workers} "
          f"{args.server} workers; {args.clients} clients; windows of {args.seconds:g} s or "
          f"{args.max_requests:,} requests; {args.repeat} round(s)\nmachine:")  # fmt: skip
    machine = common.print_machine()
    owned = args.db is None
    db = args.db or common.bench_db_name("api")
    if args.seed is None:  # a reused database already holds the phones and keys of seed 0
        args.seed = 0 if owned else random.SystemRandom().randrange(1 << 30)
    print(f"  request seed  {args.seed}")
    if not db.startswith(common.DB_PREFIX):
        raise SystemExit(f"--db must name a benchmark database ({common.DB_PREFIX}*)")
    try:
        if owned:
            data = common.ensure_sample_files(args.customers, args.loans)
            common.drop_database(db, create=True)
            common.migrate(db)
            prepare_database(db, data)
        cells = run(args, db)
        report(args, cells, machine)
    finally:
        if owned and not args.keep_db:
            common.drop_database(db)
        elif owned:
            print(f"\nkept the loaded database: rerun with --db {db}")
    return 0


def main() -> int:
    parser = common.arguments(__doc__)
    parser.add_argument("--db", help="an already loaded benchmark database to reuse")
    parser.add_argument("--keep-db", action="store_true", help="keep the database it loads")
    parser.add_argument("--seed", type=int, help="of the requests' bodies and keys (default: 0 on "
                        "a fresh database, random on a reused one, so register and keyed "
                        "create-loan send phones and keys it has not seen)")  # fmt: skip
    parser.add_argument("--seconds", type=float, default=6.0, help="measured window per cell")
    parser.add_argument("--warmup", type=float, default=1.0, help="unrecorded warm-up per cell")
    parser.add_argument("--max-requests", type=int, default=20_000, help="per cell, at most")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--server", choices=("sync", "shipped"), default="sync",
                        help="sync workers, or the web role as shipped")  # fmt: skip
    parser.add_argument("--log-level", default="INFO", help="DJANGO_LOG_LEVEL (shipped: INFO)")
    parser.add_argument("--endpoints", type=lambda s: s.split(","), default=list(ENDPOINTS))
    return common.main(parser, {"load": phase_load}, orchestrate)


if __name__ == "__main__":
    sys.exit(main())
