"""GET /metrics: counters that move, bounded labels, state read at scrape time, who may scrape,
and one view of all gunicorn workers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from core import metrics
from core.models import IngestionRun, IngestionStatus
from core.permissions import metrics_networks
from tests.conftest import make_customer, make_loan

ROOT = Path(__file__).resolve().parent.parent


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """{(sample name, labels): value} of an exposition text."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(scraped: dict, name: str, **labels) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


def scrape(api) -> dict:
    response = api.get("/metrics")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return samples(response.content.decode())


def loan_body(customer, amount=100000, rate=14) -> str:
    return json.dumps(
        {"customer_id": customer.pk, "loan_amount": amount, "interest_rate": rate, "tenure": 12}
    )


@pytest.mark.django_db
def test_request_counters_and_latency_move_by_route_name(api):
    customer = make_customer()
    loan = make_loan(customer, start=timezone.localdate())
    before = scrape(api)
    api.get(f"/view-loan/{loan.pk}")
    api.get(f"/view-loan/{loan.pk}/")
    api.get("/view-loan/999999")
    after = scrape(api)
    ok = {"endpoint": "view-loan", "method": "GET", "status": "200"}
    missing = {"endpoint": "view-loan", "method": "GET", "status": "404"}
    assert (
        value(after, "credit_http_requests_total", **ok)
        - value(before, "credit_http_requests_total", **ok)
        == 2
    )
    assert (
        value(after, "credit_http_requests_total", **missing)
        - value(before, "credit_http_requests_total", **missing)
        == 1
    )
    count = "credit_http_request_duration_seconds_count"
    assert (
        value(after, count, endpoint="view-loan") - value(before, count, endpoint="view-loan") == 3
    )
    # Ids never become labels: every endpoint label is a route name.
    endpoints = {
        dict(labels).get("endpoint") for name, labels in after if name.startswith("credit_http_")
    }
    assert not any(any(ch.isdigit() for ch in e or "") for e in endpoints), endpoints
    assert "view-loan" in endpoints and "metrics" in endpoints


@pytest.mark.django_db
def test_unknown_paths_and_methods_share_bounded_labels(api):
    before = scrape(api)
    api.get("/no/such/route/12345")
    api.generic("BREW", "/health")
    after = scrape(api)
    unmatched = {"endpoint": "unmatched", "method": "GET", "status": "404"}
    other = {"endpoint": "health", "method": "other", "status": "405"}
    for labels in (unmatched, other):
        assert (
            value(after, "credit_http_requests_total", **labels)
            - value(before, "credit_http_requests_total", **labels)
            == 1
        )


@pytest.mark.django_db(transaction=True)
def test_decisions_are_counted_by_kind_outcome_and_failed_rule(api):
    customer = make_customer(monthly_salary=Decimal("100000"), approved_limit=Decimal("300000"))
    before = scrape(api)
    api.post("/check-eligibility", loan_body(customer), content_type="application/json")
    api.post("/create-loan", loan_body(customer), content_type="application/json")
    # Declined: over the approved limit and unaffordable.
    api.post("/create-loan", loan_body(customer, 5_000_000), content_type="application/json")
    after = scrape(api)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("credit_decisions_total", kind="check_eligibility", outcome="approved") == 1
    assert moved("credit_decisions_total", kind="create_loan", outcome="approved") == 1
    assert moved("credit_decisions_total", kind="create_loan", outcome="declined") == 1
    rules = "credit_decision_failed_rules_total"
    assert moved(rules, kind="create_loan", rule="credit_limit") == 1
    assert moved(rules, kind="create_loan", rule="affordability") == 1
    assert moved(rules, kind="check_eligibility", rule="credit_limit") == 0


@pytest.mark.django_db(transaction=True)
def test_a_replayed_create_loan_is_not_counted_again(api):
    customer = make_customer()
    before = scrape(api)
    for _ in range(3):
        api.post(
            "/create-loan",
            loan_body(customer),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="counted-once",
        )
    after = scrape(api)
    labels = {"kind": "create_loan", "outcome": "approved"}
    assert (
        value(after, "credit_decisions_total", **labels)
        - value(before, "credit_decisions_total", **labels)
        == 1
    )


@pytest.mark.django_db(transaction=True)
def test_payments_are_counted_when_their_transaction_commits(api):
    from django.db import transaction

    before = scrape(api)
    metrics.record_payment("settled")
    with transaction.atomic():
        metrics.record_payment("settled")
        transaction.set_rollback(True)  # rolled back: not counted
    after = scrape(api)
    assert (
        value(after, "credit_payments_total", outcome="settled")
        - value(before, "credit_payments_total", outcome="settled")
        == 1
    )


@pytest.mark.django_db
def test_dependencies_and_ingestion_runs_are_read_at_scrape_time(api, settings):
    scraped = scrape(api)
    assert value(scraped, "credit_database_up") == 1
    assert value(scraped, "credit_broker_up") == 1
    assert value(scraped, "credit_ingestion_runs", status="succeeded") == 0

    started = timezone.now() - timezone.timedelta(seconds=42)
    IngestionRun.objects.create(
        customers_file="c.xlsx",
        loans_file="l.xlsx",
        status=IngestionStatus.SUCCEEDED,
        started_at=started,
        finished_at=started + timezone.timedelta(seconds=40),
        rows_read=1100,
        rows_inserted=1000,
        rows_updated=100,
        result={"rows_read": 1100, "rows_inserted": 1000, "rows_updated": 100},
    )
    IngestionRun.objects.create(
        customers_file="c.xlsx",
        loans_file="l.xlsx",
        status=IngestionStatus.FAILED,
        started_at=started,
        finished_at=started + timezone.timedelta(seconds=2),
        rows_read=7,
    )
    IngestionRun.objects.create(customers_file="c.xlsx", loans_file="l.xlsx")  # queued
    scraped = scrape(api)
    assert value(scraped, "credit_ingestion_runs", status="succeeded") == 1
    assert value(scraped, "credit_ingestion_runs", status="failed") == 1
    assert value(scraped, "credit_ingestion_runs", status="queued") == 1
    assert value(scraped, "credit_ingestion_runs", status="running") == 0
    seconds = "credit_ingestion_run_duration_seconds"
    assert value(scraped, f"{seconds}_count", status="succeeded") == 1
    assert value(scraped, f"{seconds}_sum", status="succeeded") == pytest.approx(40)
    assert value(scraped, f"{seconds}_bucket", status="succeeded", le="30.0") == 0
    assert value(scraped, f"{seconds}_bucket", status="succeeded", le="60.0") == 1
    assert value(scraped, f"{seconds}_bucket", status="failed", le="5.0") == 1
    # Rows of succeeded runs only.
    assert value(scraped, "credit_ingestion_rows_total", kind="read") == 1100
    assert value(scraped, "credit_ingestion_rows_total", kind="inserted") == 1000
    assert value(scraped, "credit_ingestion_rows_total", kind="updated") == 100
    assert value(scraped, "credit_ingestion_last_finished_timestamp_seconds", status="failed") > 0

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    assert value(scrape(api), "credit_broker_up") == 0


@pytest.fixture
def database_down(transactional_db):
    original_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"
    yield
    connection.close()
    connection.settings_dict["PORT"] = original_port


def test_metrics_are_served_while_the_database_is_down(api, database_down):
    scraped = scrape(api)
    assert value(scraped, "credit_database_up") == 0
    assert not any(name.startswith("credit_ingestion") for name, _ in scraped)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("address", "headers", "allowed"),
    [
        ("127.0.0.1", {}, True),
        ("::1", {}, True),
        ("203.0.113.9", {}, False),
        ("10.0.0.5", {}, False),  # not in the default list (loopback only)
        ("127.0.0.1", {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}, False),
        ("127.0.0.1", {"HTTP_FORWARDED": "for=203.0.113.9"}, False),
    ],
)
def test_only_allowed_networks_may_scrape_and_never_through_a_proxy(api, address, headers, allowed):
    response = api.get("/metrics", REMOTE_ADDR=address, **headers)
    assert response.status_code == (200 if allowed else 403)
    if not allowed:
        assert response.json()["code"] == "permission_denied"


@pytest.mark.django_db
def test_no_api_key_is_needed_to_scrape(api, settings):
    settings.API_KEY_REQUIRED = True
    assert api.get("/view-loans/1").status_code == 403
    assert api.get("/metrics").status_code == 200


@pytest.fixture
def metrics_networks_from(settings, monkeypatch):
    def configure(entries, subnets=(), gateways=()):
        import ipaddress

        from core import permissions

        settings.METRICS_ALLOWED_NETWORKS = entries
        monkeypatch.setattr(
            permissions,
            "_container_networks",
            lambda: (
                [ipaddress.ip_network(s) for s in subnets],
                [ipaddress.ip_address(g) for g in gateways],
            ),
        )
        metrics_networks.cache_clear()

    yield configure
    metrics_networks.cache_clear()


@pytest.mark.django_db
def test_container_networks_admit_peers_but_not_the_gateway(api, metrics_networks_from):
    metrics_networks_from(
        ["127.0.0.0/8", "container-networks"], subnets=["172.30.0.0/16"], gateways=["172.30.0.1"]
    )
    assert api.get("/metrics", REMOTE_ADDR="172.30.0.7").status_code == 200  # a Prometheus peer
    # Traffic through the published port arrives from the gateway or from outside.
    assert api.get("/metrics", REMOTE_ADDR="172.30.0.1").status_code == 403
    assert api.get("/metrics", REMOTE_ADDR="198.51.100.4").status_code == 403
    assert api.get("/metrics", REMOTE_ADDR="172.31.0.7").status_code == 403


def test_the_route_table_is_read_into_subnets_and_gateways(tmp_path, monkeypatch):
    from core import permissions

    table = tmp_path / "route"
    table.write_text(
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
        "eth0\t00000000\t010012AC\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
        "eth0\t000012AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n"
    )
    real_path = permissions.Path
    monkeypatch.setattr(
        permissions, "Path", lambda p: table if p == "/proc/net/route" else real_path(p)
    )
    subnets, gateways = permissions._container_networks()
    assert [str(s) for s in subnets] == ["172.18.0.0/16"]
    assert [str(g) for g in gateways] == ["172.18.0.1"]


def test_bad_metrics_networks_stop_start_up():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**os.environ, "METRICS_ALLOWED_NETWORKS": "127.0.0.1/8,everywhere"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "METRICS_ALLOWED_NETWORKS: 'everywhere'" in result.stderr


# --- several gunicorn workers -------------------------------------------------------------------


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.mark.live
@pytest.mark.django_db
def test_every_worker_counts_into_one_scrape(tmp_path):
    """Two gunicorn workers: each scrape, whichever worker answers it, counts the requests of
    both (multiprocess mode through PROMETHEUS_MULTIPROC_DIR)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    multiproc = tmp_path / "multiproc"
    multiproc.mkdir()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "PROMETHEUS_MULTIPROC_DIR": str(multiproc),
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", "2", "--no-control-socket"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(f"{base}/health/live")[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None, server.stderr.read().decode()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        sent = 1
        # Until both workers have answered (each writes its own files), at least 40 requests.
        while (
            sent < 40 or len({p.stem.rsplit("_", 1)[1] for p in multiproc.glob("counter_*.db")}) < 2
        ):
            assert _get(f"{base}/health/live")[0] == 200
            sent += 1
            assert sent < 2000, "only one worker ever answered"
        label = {"endpoint": "health-live", "method": "GET", "status": "200"}
        for _ in range(6):
            status, text = _get(f"{base}/metrics")
            assert status == 200
            assert value(samples(text), "credit_http_requests_total", **label) == sent
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


@pytest.mark.django_db(transaction=True)
def test_a_recorded_payment_is_counted_by_outcome(api):
    customer = make_customer()
    made = api.post("/create-loan", loan_body(customer), content_type="application/json").json()
    before = scrape(api)
    paid = api.post(
        f"/make-payment/{customer.pk}/{made['loan_id']}",
        json.dumps({"amount": made["monthly_installment"]}),
        content_type="application/json",
    )
    assert paid.status_code == 201 and paid.json()["on_time"] is True
    refused = api.post(
        f"/make-payment/{customer.pk}/{made['loan_id']}",
        json.dumps({"amount": 0.01}),
        content_type="application/json",
    )
    assert refused.status_code == 400  # below the interest: nothing recorded, nothing counted
    after = scrape(api)
    for outcome, moved in (("on_time", 1), ("late", 0), ("paid_off", 0)):
        assert (
            value(after, "credit_payments_total", outcome=outcome)
            - value(before, "credit_payments_total", outcome=outcome)
            == moved
        ), outcome
