"""Serving benchmark: what slow clients and a hung database do to the web server, measured on
the real command line the image runs (`gunicorn --config config/gunicorn.conf.py`) and, for
comparison, on the command line it replaced (`gunicorn config.wsgi:application`, sync workers).

    .venv/bin/python bench/serving.py                    # both setups, ~3 min
    .venv/bin/python bench/serving.py --servers shipped --seconds 10 --freeze-seconds 10

Three measurements per setup, each on a fresh server with WEB_CONCURRENCY=2 (the compose
default):

1. slow clients: --slow-clients sockets each send a request head one byte per second (and
   reconnect at once when the server closes them); meanwhile
   a probe sends GET /health and POST /check-eligibility (fresh connections, one after the
   other, 4 per second) for --seconds. Reported: latency p50/p99/max, answered within 1 s.
2. stalled body: one POST announcing Content-Length: 500 that sends 70 bytes and stops.
   Reported: the answer's status, Content-Type and how long it took.
3. hung database: a throw-away PostgreSQL cluster of its own (initdb in a temporary directory,
   another port; never the shared server) is frozen (SIGSTOP of the postmaster and every
   backend) for --freeze-seconds while 4 clients send GET /view-loans/<id> back to back; then
   thawed. Reported: answers during the freeze by status, their latency, and the time from the
   thaw to the first good answer.

Needs PostgreSQL on PGHOST/PGPORT (the benchmark database) and its initdb/pg_ctl binaries,
Redis at BENCH_REDIS_URL, and root or a user initdb accepts.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import common

from tests.webserver import ROOT, ThrowawayPostgres, exchange, request, web_server

SETUPS = {
    "shipped": None,  # tests.webserver.WEB_COMMAND: the web role's command line
    "sync": [
        sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind",
        "127.0.0.1:{port}", "--workers", "2", "--timeout", "30", "--no-control-socket",
    ],
}  # fmt: skip


def percentile(values: list[float], p: float) -> float:
    return common.percentile(sorted(values), p) if values else float("nan")


def register(port: int, phone: int) -> int:
    body = json.dumps(
        {"first_name": "Bench", "last_name": "Client", "age": 30, "monthly_income": 100000,
         "phone_number": phone}
    ).encode()  # fmt: skip
    answer = request(port, "POST", "/register", body, timeout=30)
    assert answer.status == 201, answer
    return json.loads(answer.body)["customer_id"]


def slow_client(port: int, stop: threading.Event, connected: list) -> None:
    """Sends a request head one byte per second; when the server closes the connection (the
    head timeout), connects again at once, as an attacker would, until stopped."""
    head = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"z" * 500
    while not stop.is_set():
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError:
            stop.wait(0.1)
            continue
        connected.append(1)
        with sock:
            for byte in head:
                if stop.is_set():
                    return
                try:
                    sock.sendall(bytes([byte]))
                except OSError:
                    break
                stop.wait(1)


def measure_slow_clients(port: int, customer: int, clients: int, seconds: float) -> dict:
    stop, connected = threading.Event(), []
    threads = [
        threading.Thread(target=slow_client, args=(port, stop, connected), daemon=True)
        for _ in range(clients)
    ]
    for thread in threads:
        thread.start()
    time.sleep(2)  # all connected and mid-head
    body = json.dumps(
        {"customer_id": customer, "loan_amount": 10000, "interest_rate": 12, "tenure": 12}
    ).encode()
    latencies: dict[str, list[float]] = {"health": [], "check-eligibility": []}
    failures: dict[str, int] = {"health": 0, "check-eligibility": 0}
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        for name, method, path, data in (
            ("health", "GET", "/health", b""),
            ("check-eligibility", "POST", "/check-eligibility", body),
        ):
            answer = request(port, method, path, data, timeout=max(1.0, ends - time.monotonic()))
            if answer.status == 200:
                latencies[name].append(answer.seconds)
            else:
                failures[name] += 1
        time.sleep(0.25)
    stop.set()
    for thread in threads:
        thread.join(timeout=5)
    return {
        name: {
            "answered": len(values),
            "failed_or_timed_out": failures[name],
            "within_1s": sum(v <= 1 for v in values),
            "p50_ms": percentile(values, 50) * 1000,
            "p99_ms": percentile(values, 99) * 1000,
            "max_ms": max(values, default=float("nan")) * 1000,
        }
        for name, values in latencies.items()
    } | {"slow_connections_opened": len(connected)}


def measure_stalled_body(port: int) -> dict:
    head = (
        b"POST /register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 500\r\n\r\n"
    )
    answer = exchange(port, head + b"{" * 70, timeout=120)
    return {
        "status": answer.status,
        "content_type": answer.headers.get("content-type"),
        "seconds": round(answer.seconds, 2),
        "body": answer.body[:120].decode("latin-1"),
    }


def measure_hung_database(command, freeze_seconds: float, log_dir: Path) -> dict:
    cluster = ThrowawayPostgres().start()
    try:
        subprocess.run(
            [cluster.bindir / "createdb", "-h", "127.0.0.1", "-p", str(cluster.port), "-U",
             "postgres", "credit"], check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        env = common.service_env("credit", DATABASE_URL=cluster.url("credit"), WEB_CONCURRENCY="2")
        subprocess.run([common.PYTHON, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env,
                       check=True, capture_output=True, timeout=300)  # fmt: skip
        with web_server(env, log_dir / "hung.log", command) as web:
            customer = register(web.port, 9_100_000_001)
            results: list[tuple[float, float, int]] = []  # (sent at, seconds, status)
            stop = threading.Event()

            def client() -> None:
                while not stop.is_set():
                    sent = time.monotonic()
                    answer = request(web.port, "GET", f"/view-loans/{customer}", timeout=90)
                    results.append((sent, answer.seconds, answer.status))

            clients = [threading.Thread(target=client, daemon=True) for _ in range(4)]
            for thread in clients:
                thread.start()
            time.sleep(1)
            frozen_at = time.monotonic()
            pids = cluster.freeze()
            time.sleep(freeze_seconds)
            thawed_at = time.monotonic()
            cluster.thaw(pids)
            time.sleep(15)
            stop.set()
            for thread in clients:
                thread.join(timeout=100)
    finally:
        cluster.stop()
    during = [(s, d, st) for s, d, st in results if frozen_at <= s < thawed_at]
    by_status: dict[str, int] = {}
    for _, _, status in during:
        by_status[str(status)] = by_status.get(str(status), 0) + 1
    good_after = [s + d for s, d, st in results if st == 200 and s + d >= thawed_at]
    return {
        "freeze_seconds": freeze_seconds,
        "requests_sent_during_freeze": len(during),
        "answers_by_status": by_status,
        "latency_p50_s": round(percentile([d for _, d, _ in during], 50), 2),
        "latency_max_s": round(max((d for _, d, _ in during), default=float("nan")), 2),
        "first_answer_after_freeze_s": round(
            min((s + d for s, d, _ in during), default=float("nan")) - frozen_at, 2
        ),
        "recovered_after_thaw_s": round(min(good_after, default=float("nan")) - thawed_at, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", type=lambda s: s.split(","), default=list(SETUPS))
    parser.add_argument("--slow-clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--freeze-seconds", type=float, default=20)
    args = parser.parse_args()
    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(exist_ok=True)
    report: dict = {"args": vars(args), "machine": common.print_machine()}
    db = common.bench_db_name("serving")
    common.create_database(db)
    try:
        common.migrate(db)
        for name in args.servers:
            command = SETUPS[name]
            env = common.service_env(db, WEB_CONCURRENCY="2")
            print(
                f"== {name}: {' '.join(command or ['gunicorn --config config/gunicorn.conf.py'])}"
            )
            with web_server(env, out_dir / f"serving-{name}.log", command, "/health") as web:
                customer = register(web.port, 9_000_000_000 + len(report))
                slow = measure_slow_clients(web.port, customer, args.slow_clients, args.seconds)
                print(f"  {args.slow_clients} slow clients, {args.seconds:g} s: {json.dumps(slow)}")
                stalled = measure_stalled_body(web.port)
                print(f"  stalled body: {json.dumps(stalled)}")
            hung = measure_hung_database(command, args.freeze_seconds, out_dir)
            print(f"  hung database: {json.dumps(hung)}")
            report[name] = {"slow_clients": slow, "stalled_body": stalled, "hung_database": hung}
            print(f"  load average {os.getloadavg()[0]:.1f}")
    finally:
        common.drop_database(db)
    path = out_dir / f"serving-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=1, default=str))
    print(f"raw figures: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
