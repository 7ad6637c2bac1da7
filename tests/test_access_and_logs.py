"""API keys, per-client throttling, and one structured, PII-free log line per request."""

import json
import logging

import pytest
from django.core.cache import cache
from django.core.management import call_command

from core.logfmt import JsonFormatter, redact
from core.services import api_keys

pytestmark = pytest.mark.django_db

PROTECTED = [
    ("post", "/register"),
    ("post", "/check-eligibility"),
    ("post", "/create-loan"),
    ("get", "/view-loan/1"),
    ("get", "/view-loans/1"),
]


@pytest.fixture
def keys_required(settings):
    settings.API_KEY_REQUIRED = True


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_without_a_key_every_endpoint_is_403(api, keys_required, method, path):
    kwargs = {"data": "{}", "content_type": "application/json"} if method == "post" else {}
    response = getattr(api, method)(path, **kwargs)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_health_and_docs_need_no_key(api, keys_required):
    assert api.get("/health").status_code == 200
    assert api.get("/docs").status_code == 200
    assert api.get("/schema").status_code == 200


def test_valid_key_passes_and_revoked_key_is_refused(api, keys_required, capsys):
    call_command("api_keys", "create", "partner-app")
    out = capsys.readouterr().out
    key = out.split("key:")[1].split()[0]
    prefix = out.split("prefix:")[1].split()[0]
    header = {"HTTP_AUTHORIZATION": f"Api-Key {key}"}
    assert api.get("/view-loans/1", **header).status_code == 404  # authorised: unknown id
    assert api.get("/view-loans/1", HTTP_AUTHORIZATION="Api-Key nonsense.key").status_code == 403
    call_command("api_keys", "revoke", prefix)
    assert api.get("/view-loans/1", **header).status_code == 403
    call_command("api_keys", "list")
    assert "revoked" in capsys.readouterr().out


def test_keys_are_stored_hashed():
    from rest_framework_api_key.models import APIKey

    prefix, key = api_keys.create_key("x")
    stored = APIKey.objects.get(prefix=prefix)
    assert key.partition(".")[2] not in stored.hashed_key
    assert stored.is_valid(key)


def test_keys_are_off_by_default(api):
    assert api.get("/view-loans/1").status_code == 404


def test_over_the_limit_is_429_per_client(api, settings):
    settings.API_THROTTLE_RATE = "3/minute"
    cache.clear()
    statuses = [api.get("/view-loans/1").status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]
    response = api.get("/view-loans/1")
    assert response.json()["code"] == "throttled" and int(response["Retry-After"]) >= 1
    # Another client (address) has its own budget; /health is never throttled.
    assert api.get("/view-loans/1", REMOTE_ADDR="10.9.9.9").status_code == 404
    assert api.get("/health").status_code == 200
    cache.clear()


def test_one_structured_line_per_request_without_personal_data(api, caplog):
    body = {
        "first_name": "Asha",
        "last_name": "Rao",
        "age": 30,
        "monthly_income": 50000,
        "phone_number": 9876543210,
    }
    with caplog.at_level(logging.INFO, logger="core.request"):
        response = api.post(
            "/register",
            data=json.dumps(body),
            content_type="application/json",
            HTTP_X_REQUEST_ID="req-123",
        )
        api.post("/register", data=json.dumps(body), content_type="application/json")  # 409
    assert response["X-Request-ID"] == "req-123"
    records = [r for r in caplog.records if r.name == "core.request"]
    assert len(records) == 2
    first = json.loads(JsonFormatter().format(records[0]))
    assert {k: first[k] for k in ("method", "path", "status", "request_id")} == {
        "method": "POST",
        "path": "/register",
        "status": 201,
        "request_id": "req-123",
    }
    assert first["duration_ms"] >= 0
    everything = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    assert "9876543210" not in everything and "Asha" not in everything


def test_a_path_no_route_takes_is_masked_in_every_field_and_route_ids_stay(api, caplog):
    """Any path can be sent, a phone number in it included: where no route takes it, the
    line's path field is masked as its message is. A route's ids (a loan id of ten digits, as
    the service hands out) stay readable in both, for finding a request's lines."""
    with caplog.at_level(logging.INFO, logger="core.request"):
        assert api.get("/customers/9876543210/loans").status_code == 404
        assert api.get("/view-loan/1000000004").status_code == 404
    unknown, route = (
        json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "core.request"
    )
    assert "9876543210" not in json.dumps(unknown)
    assert unknown["path"] == "/customers/[redacted]/loans"
    assert unknown["msg"] == "GET /customers/[redacted]/loans 404"
    assert route["path"] == "/view-loan/1000000004"
    assert route["msg"] == "GET /view-loan/1000000004 404"


def test_formatter_masks_phone_numbers_and_keeps_tracebacks():
    try:
        raise ValueError("duplicate key (phone_number)=(9876543210)")
    except ValueError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "failed for %s", ("9123456789",), None
        )
        import sys

        record.exc_info = sys.exc_info()
    line = json.loads(JsonFormatter().format(record))
    assert "9123456789" not in line["msg"] and "9876543210" not in line["exc"]
    assert "Traceback" in line["exc"]


@pytest.mark.parametrize(
    "task_id",
    ["a24b706e-b8d7-4fef-bb72-8a1234567890", "00000000-0000-4000-8000-123456789012"],
)
def test_ids_stay_whole_in_the_log_while_phone_numbers_next_to_them_are_masked(task_id):
    """A UUID's hex groups can hold ten digits in a row: the id stays readable, so that its
    lines can be found; a phone number beside it is still masked."""
    line = f"Task core.tasks.ingest_data[{task_id}] for 9876543210 (+91-9812345670)"
    assert redact(line) == (
        f"Task core.tasks.ingest_data[{task_id}] for [redacted] (+91-[redacted])"
    )
