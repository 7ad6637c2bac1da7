"""The maturity sweep closes loans whose end_date has come; the triggers lower the debt."""

import datetime as dt
from decimal import Decimal

import pytest

from core.models import CustomerCreditFeatures, Loan
from core.tasks import close_matured_loans
from tests.conftest import make_customer, make_loan

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


def test_sweep_is_scheduled_daily_and_at_worker_start(settings):
    from celery.signals import worker_ready

    from core import tasks

    schedule = settings.CELERY_BEAT_SCHEDULE["close-matured-loans"]
    assert schedule["task"] == tasks.close_matured_loans.name
    assert any(receiver() is tasks._sweep_at_worker_start for _, receiver in worker_ready.receivers)
