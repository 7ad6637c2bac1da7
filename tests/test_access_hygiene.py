"""What a client cannot get around or make the service leak: throttle buckets of keys nobody
verified, the admin login, log floods from bad Host headers or a cache outage, and caching of
answers that carry personal data."""

import json
import logging

import pytest
from django.core.cache import cache
from django.test import override_settings

from core import throttling
from core.services import api_keys
from tests.conftest import make_customer, make_loan

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_throttle(settings):
    settings.API_THROTTLE_RATE = "5/minute"
    cache.clear()
    yield
    cache.clear()


# --- throttling -------------------------------------------------------------------------------


def test_made_up_keys_share_the_address_bucket_when_keys_are_off(api, fresh_throttle):
    statuses = [
        api.get("/view-loans/1", HTTP_AUTHORIZATION=f"Api-Key made{n}.up{n}").status_code
        for n in range(10)
    ]
    assert statuses == [404] * 5 + [429] * 5


def test_a_verified_key_has_its_own_bucket(api, fresh_throttle, settings):
    settings.API_KEY_REQUIRED = True
    _, key = api_keys.create_key("partner")
    header = {"HTTP_AUTHORIZATION": f"Api-Key {key}"}
    assert [api.get("/view-loans/1", **header).status_code for _ in range(6)] == [404] * 5 + [429]
    # Another verified key has a budget of its own; a wrong key is refused before throttling.
    _, other = api_keys.create_key("another")
    assert api.get("/view-loans/1", HTTP_AUTHORIZATION=f"Api-Key {other}").status_code == 404
    assert api.get("/view-loans/1", HTTP_AUTHORIZATION="Api-Key bad.key").status_code == 403


# --- admin ------------------------------------------------------------------------------------


def test_the_admin_is_off_unless_enabled(api, urls_reloaded):
    response = api.get("/admin/login/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    with override_settings(ADMIN_ENABLED=True):
        urls_reloaded()
        assert api.get("/admin/login/").status_code == 200


# --- logs -------------------------------------------------------------------------------------


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def records_of():
    attached = []

    def attach(name: str) -> _Records:
        handler = _Records()
        logging.getLogger(name).addHandler(handler)
        attached.append((name, handler))
        return handler

    yield attach
    for name, handler in attached:
        logging.getLogger(name).removeHandler(handler)


def test_a_bad_host_header_is_one_warning_line(api, records_of):
    seen = records_of("django.security.DisallowedHost")
    response = api.get("/health", HTTP_HOST="evil.example")
    assert response.status_code == 400 and response.json()["code"] == "bad_request"
    assert [(r.levelname, r.exc_info) for r in seen.records] == [("WARNING", None)]


def test_the_cache_outage_warning_is_rate_limited(api, settings, records_of, monkeypatch):
    settings.API_THROTTLE_RATE = "100/minute"
    monkeypatch.setattr(throttling, "cache_unavailable", throttling._RateLimitedWarning(60))
    seen = records_of("core.throttling")

    def down(*args, **kwargs):
        raise ConnectionError("cache is down")

    monkeypatch.setattr(throttling.ClientRateThrottle, "cache", type("C", (), {"get": down})())
    statuses = [api.get("/view-loans/1").status_code for _ in range(5)]
    assert statuses == [404] * 5  # let through
    assert len(seen.records) == 1 and "cache is down" in seen.records[0].getMessage()


# --- caching ----------------------------------------------------------------------------------

REGISTER = {
    "first_name": "Asha",
    "last_name": "Rao",
    "age": 30,
    "monthly_income": 62500,
    "phone_number": 9876543210,
}


def test_answers_with_personal_data_are_not_stored_by_caches(api, pin_today):
    import datetime as dt

    pin_today(dt.date(2025, 1, 1))
    registered = api.post("/register", data=json.dumps(REGISTER), content_type="application/json")
    customer = make_customer()
    loan = make_loan(customer, start=dt.date(2024, 12, 1))
    answers = [
        registered,
        api.get(f"/view-loan/{loan.pk}"),
        api.get(f"/view-loans/{customer.pk}"),
        api.post(
            "/check-eligibility",
            data=json.dumps(
                {"customer_id": customer.pk, "loan_amount": 1000, "interest_rate": 10, "tenure": 6}
            ),
            content_type="application/json",
        ),
        api.get("/view-loan/999999"),
    ]
    assert [a["Cache-Control"] for a in answers] == ["no-store"] * len(answers)
