"""The maturity sweep closes loans whose end_date has come; the triggers lower the debt."""

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest

from core.models import CustomerCreditFeatures, Loan
from core.tasks import close_matured_loans
from tests.conftest import make_customer, make_loan
from tests.test_settings_and_deploy import KEY, manage

pytestmark = pytest.mark.django_db


def test_sweep_closes_matured_loans_only(pin_today, assert_debt_invariant):
    pin_today(dt.date(2025, 6, 15))
    customer = make_customer()
    ends_today = make_loan(
        customer, start=dt.date(2025, 3, 15), tenure=3, loan_amount=Decimal("300")
    )
    ended = make_loan(customer, start=dt.date(2024, 1, 1), tenure=12, loan_amount=Decimal("200"))
    running = make_loan(customer, start=dt.date(2025, 3, 16), tenure=3, loan_amount=Decimal("100"))
    # Between two sweeps a matured loan still counts as active.
    features = CustomerCreditFeatures.objects.get(pk=customer.pk)
    assert (features.loans_active, features.current_debt) == (3, 600)

    assert close_matured_loans() == 2  # the Celery task, run in-process
    active = set(Loan.objects.filter(is_active=True).values_list("pk", flat=True))
    assert active == {running.pk}
    assert {ends_today.pk, ended.pk}.isdisjoint(active)
    customer.refresh_from_db()
    assert customer.current_debt == 100
    assert_debt_invariant()
    assert close_matured_loans() == 0  # idempotent


def test_sweep_is_scheduled_daily_just_after_midnight_in_the_service_time_zone():
    from config.celery import app

    entry = app.conf.beat_schedule["close-matured-loans"]  # what the beat service reads
    assert entry["task"] == close_matured_loans.name
    schedule = entry["schedule"]
    # Every day of every month, once: at 00:05, when credit_today() has moved on.
    assert (schedule.hour, schedule.minute) == ({0}, {5})
    assert schedule.day_of_week == set(range(7))
    assert schedule.day_of_month == set(range(1, 32))
    assert schedule.month_of_year == set(range(1, 13))
    # 00:05 in DJANGO_TIME_ZONE: the beat's clock follows the setting (another start-up).
    result = manage(
        "shell",
        "-c",
        "from config.celery import app; print(app.conf.timezone)",
        DJANGO_SECRET_KEY=KEY,
        DJANGO_TIME_ZONE="Asia/Kolkata",
    )
    assert result.stdout.strip().splitlines()[-1] == "Asia/Kolkata", result.stderr


def test_a_starting_worker_enqueues_one_sweep():
    from celery.signals import worker_ready

    with mock.patch.object(close_matured_loans, "apply_async") as enqueue:
        worker_ready.send(sender=None)
    enqueue.assert_called_once()
