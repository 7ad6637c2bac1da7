"""The web server as the image runs it (`gunicorn --config config/gunicorn.conf.py`), over raw
sockets: malformed HTTP gets the JSON error shape, slow or stalled clients do not starve the
others, requests that never finish arriving are answered 408, database connections persist,
and a hung database is answered 503 and recovered from without a restart.

How long things took was measured by the retired bench/serving.py (bench/RESULTS.md, section
3); the bounds here only tell "answered" from "hung".
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import connect_separately, make_customer
from tests.webserver import ROOT, ThrowawayPostgres, exchange, postgres_bindir, request, web_server
from tests.webserver import service_env as web_env

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 4


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock():
        url = _database_url()
    env = web_env(
        url,
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        WEB_THREADS=str(THREADS),
        WEB_HEADER_TIMEOUT="3",
        WEB_BODY_TIMEOUT="2",
    )
    with web_server(env, tmp_path_factory.mktemp("web") / "web.log") as running:
        yield running


def assert_json_error(answer, status: int) -> dict:
    assert answer.status == status, answer
    assert answer.headers.get("content-type") == "application/json", answer
    body = json.loads(answer.body)
    assert body["status"] == status and body["code"] and body["message"], body
    return body


MALFORMED = {
    "chunked and content-length": (
        b"POST /register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
    ),
    "negative content-length": (
        b"POST /register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n",
        400,
    ),
    "bad request line": (b"GARBAGE\r\n\r\n", 400),
    "raw non-ascii path": (b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", None),
    "nul in a header": (b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\x00b\r\n\r\n", 400),
    "request line over 4094 bytes": (
        b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        414,
    ),
    "a header over 8190 bytes": (
        b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n",
        431,
    ),
    "over 100 headers": (
        b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + b"".join(b"X-H%d: v\r\n" % n for n in range(150))
        + b"\r\n",
        431,
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_http_is_answered_in_json(server, case):
    raw, status = MALFORMED[case]
    answer = exchange(server.port, raw)
    if status is None:  # refused by the server or not a route of the application
        assert answer.status in (400, 404), answer
        status = answer.status
    assert_json_error(answer, status)


def test_a_body_that_never_arrives_is_408(server):
    head = b"POST /register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    answer = exchange(server.port, head + b"Content-Length: 500\r\n\r\n" + b"{" * 70, timeout=20)
    assert_json_error(answer, 408)


def test_a_head_that_never_completes_is_408(server):
    answer = exchange(server.port, b"GET /health HTTP/1.1\r\nHost: 12", timeout=20)
    assert_json_error(answer, 408)


def test_a_body_over_the_limit_is_413_before_it_is_read(server):
    head = (
        b"POST /register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 10485760\r\n\r\n"
    )
    answer = exchange(server.port, head, timeout=20)
    assert_json_error(answer, 413)


def _slowloris(port: int, stop: threading.Event, opened: list) -> None:
    """One client sending its request head one byte per second."""
    head = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"z" * 200
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        opened.append(sock)
        for byte in head:
            if stop.is_set():
                return
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                return
            stop.wait(1)


def test_stalled_clients_do_not_starve_the_others(server):
    customer = make_customer()
    stop, opened = threading.Event(), []
    slow = [
        threading.Thread(target=_slowloris, args=(server.port, stop, opened), daemon=True)
        for _ in range(50)
    ]
    for thread in slow:
        thread.start()
    try:
        deadline = time.monotonic() + 10
        while len(opened) < 50:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(1.5)  # every slow client is mid-head
        body = json.dumps(
            {"customer_id": customer.pk, "loan_amount": 1000, "interest_rate": 12, "tenure": 12}
        ).encode()
        for _ in range(3):
            assert request(server.port, "GET", "/health", timeout=5).status == 200
            answer = request(server.port, "POST", "/check-eligibility", body, timeout=5)
            assert answer.status == 200, answer
    finally:
        stop.set()
        for thread in slow:
            thread.join(timeout=5)


def _server_backends() -> set[int]:
    """Backends of the web server: the service's connections but this test's own."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (own,) = cursor.fetchone()
    with connect_separately() as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = 'credit-approval' "
            "AND pid NOT IN (pg_backend_pid(), %s)",
            [own],
        )
        return {pid for (pid,) in cursor.fetchall()}


def test_database_connections_outlive_requests(server):
    customer = make_customer()

    def requests(count: int) -> None:
        for _ in range(count):
            assert request(server.port, "GET", f"/view-loans/{customer.pk}").status == 200

    requests(40)  # every server thread that serves has connected by now
    before = _server_backends()
    requests(40)
    after = _server_backends()
    # Connections outlive the requests (none is opened per request and closed after it),
    # one per server thread at most.
    assert before and after, (before, after)
    assert len(before | after) <= THREADS, (before, after)


# --- a hung database --------------------------------------------------------------------------


@pytest.fixture
def throwaway_postgres():
    if postgres_bindir() is None:
        pytest.skip("PostgreSQL's initdb/pg_ctl are not installed here")
    cluster = ThrowawayPostgres().start()
    try:
        yield cluster
    finally:
        cluster.stop()


def test_a_hung_database_is_503_and_recovers_by_itself(throwaway_postgres, tmp_path):
    cluster = throwaway_postgres
    subprocess.run(
        [cluster.bindir / "createdb", "-h", "127.0.0.1", "-p", str(cluster.port), "-U",
         "postgres", "credit"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    env = web_env(
        cluster.url("credit"),
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        DATABASE_STATEMENT_TIMEOUT="2",
        DATABASE_CLIENT_GRACE="1",
        DATABASE_CONNECT_TIMEOUT="2",
    )
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert migrate.returncode == 0, migrate.stderr
    with web_server(env, tmp_path / "web.log") as web:
        assert request(web.port, "GET", "/view-loans/1").status == 404  # connected, serving
        frozen = cluster.freeze()
        try:
            for path in ("/view-loans/1", "/view-loan/1"):
                answer = request(web.port, "GET", path, timeout=30)
                body = assert_json_error(answer, 503)
                assert body["code"] == "database_unavailable"
                assert int(answer.headers["retry-after"]) >= 1
        finally:
            cluster.thaw(frozen)
        deadline = time.monotonic() + 30
        while (answer := request(web.port, "GET", "/view-loans/1", timeout=30)).status != 404:
            assert answer.status == 503 and time.monotonic() < deadline, answer
            time.sleep(0.5)
