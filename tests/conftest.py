"""Shared fixtures: a DRF client, pinned "today", data builders, and the debt invariant."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

import pgtrigger
import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connection
from django.test import TransactionTestCase
from django.test.testcases import LiveServerThread
from django.urls import clear_url_caches
from rest_framework.test import APIClient

from core.models import Customer, Loan
from core.services.maintenance import current_debt_drift

TRUNCATE_GUARDS = (
    "core.Loan:loans_refuse_truncate",
    "core.Repayment:repayments_refuse_truncate",
    "core.LoanDecision:loan_decisions_append_only",
)


@pytest.fixture(scope="session", autouse=True)
def _flush_through_truncate_guard():
    """Transactional tests are cleaned with TRUNCATE, which the loans, repayments and
    loan_decisions tables refuse to anyone else; the test harness alone passes through
    django-pgtrigger's ignore mechanism."""
    original = TransactionTestCase._fixture_teardown

    def teardown(self):
        with pgtrigger.ignore(*TRUNCATE_GUARDS):
            original(self)

    TransactionTestCase._fixture_teardown = teardown
    yield
    TransactionTestCase._fixture_teardown = original


class _BackloggedWSGIServer(ThreadedWSGIServer):
    # socketserver's default listen backlog of 5 resets bursts of simultaneous clients.
    request_queue_size = 128


@pytest.fixture(scope="session", autouse=True)
def _live_server_accepts_bursts():
    original = LiveServerThread.server_class
    LiveServerThread.server_class = _BackloggedWSGIServer
    yield
    LiveServerThread.server_class = original


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def pin_today(db):
    """Pin credit_today() for this test's transaction: pin_today(date(2025, 6, 15))."""

    def pin(day: dt.date) -> dt.date:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('credit.today', %s, true)", [day.isoformat()])
        return day

    return pin


def add_months(day: dt.date, months: int) -> dt.date:
    """Test-side month arithmetic (month-end clamped), to build crafted histories."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    month += 1
    last = [
        31,
        29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][month - 1]
    return dt.date(year, month, min(day.day, last))


_phone_counter = iter(range(9_000_000_000, 9_999_999_999))


def make_customer(**fields) -> Customer:
    values = {
        "first_name": "Test",
        "last_name": "Customer",
        "phone_number": str(next(_phone_counter)),
        "age": 30,
        "monthly_salary": Decimal("100000"),
        "approved_limit": Decimal("3600000"),
    }
    values.update(fields)
    return Customer.objects.create(**values)


def make_loan(customer: Customer, *, start: dt.date, tenure: int = 12, **fields) -> Loan:
    values = {
        "loan_amount": Decimal("100000"),
        "interest_rate": Decimal("10"),
        "monthly_installment": Decimal("8791.59"),
        "emis_paid_on_time": 0,
        "is_active": True,
    }
    values.update(fields)
    return Loan.objects.create(
        customer=customer,
        tenure=tenure,
        start_date=start,
        end_date=add_months(start, tenure),
        **values,
    )


def connect_separately():
    """A second, plain psycopg2 connection to the test database (another session)."""
    import psycopg2

    db = connection.settings_dict
    return psycopg2.connect(
        dbname=db["NAME"],
        user=db["USER"],
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        password=db["PASSWORD"] or None,
    )


@pytest.fixture
def assert_debt_invariant():
    def check() -> None:
        assert current_debt_drift() == 0

    return check


@pytest.fixture
def session_today():
    """Pin credit_today() for the ingestion's connection (a session setting, reset after)."""

    def pin(day: dt.date) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('credit.today', %s, false)", [day.isoformat()])

    yield pin
    with connection.cursor() as cursor:
        cursor.execute("RESET credit.today")


@pytest.fixture
def urls_reloaded():
    """Call it to rebuild config.urls under the settings of the moment (ADMIN_ENABLED); the
    URLconf is rebuilt again after the test, under the settings restored by then."""

    def reload_urls() -> None:
        import config.urls

        clear_url_caches()
        importlib.reload(config.urls)

    yield reload_urls
    reload_urls()
