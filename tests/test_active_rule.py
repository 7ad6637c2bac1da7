"""One rule for an active loan: loan_is_active(end_date) (sql/loan_is_active_v1.sql), and every
writer of loans.is_active follows it. Each test redefines the function for its transaction
only and checks the writer obeys the new definition, so a writer with its own copy of the rule
fails here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from core.models import Loan
from core.services import loans
from core.services.eligibility import LoanRequest
from core.services.ingestion.pipeline import run_ingestion
from tests.conftest import make_customer, make_loan
from tests.ingestion_support import REPO

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 15)


def active_on(end_date: dt.date) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT loan_is_active(%s)", [end_date])
        return cursor.fetchone()[0]


def redefine_active_as_ending_after(day: dt.date) -> None:
    """loan_is_active := end_date > day, until the test's transaction rolls back."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE OR REPLACE FUNCTION loan_is_active(p_end_date date) RETURNS boolean"
            f" LANGUAGE sql STABLE AS $$ SELECT p_end_date > DATE '{day.isoformat()}' $$"
        )


def test_a_loan_is_active_while_its_end_date_is_after_today(pin_today):
    pin_today(TODAY)
    assert active_on(TODAY + dt.timedelta(days=1))
    assert not active_on(TODAY)
    assert not active_on(TODAY - dt.timedelta(days=1))


def test_the_sweep_follows_the_rule(pin_today):
    pin_today(TODAY)
    customer = make_customer()
    loan = make_loan(customer, start=dt.date(2025, 3, 16), tenure=3)  # ends 2025-06-16
    redefine_active_as_ending_after(dt.date(2025, 7, 1))
    assert loans.close_matured_loans() == 1
    loan.refresh_from_db()
    assert not loan.is_active


def test_create_loan_follows_the_rule(pin_today):
    pin_today(TODAY)
    customer = make_customer(monthly_salary=Decimal("500000"), approved_limit=Decimal("9000000"))
    redefine_active_as_ending_after(dt.date(2030, 1, 1))
    outcome = loans.create_loan(
        LoanRequest(
            customer_id=customer.pk,
            loan_amount=Decimal("10000"),
            interest_rate=Decimal("15"),
            tenure=6,
        )
    )
    assert outcome.loan_id is not None, outcome.decision
    assert not Loan.objects.get(pk=outcome.loan_id).is_active


def test_ingestion_inserts_and_updates_follow_the_rule(pin_today):
    pin_today(TODAY)
    samples = (REPO / "data" / "customer_data.xlsx", REPO / "data" / "loan_data.xlsx")
    redefine_active_as_ending_after(dt.date(2199, 1, 1))
    run_ingestion(*samples)
    assert not Loan.objects.filter(is_active=True).exists()
    redefine_active_as_ending_after(dt.date(1900, 1, 1))
    Loan.objects.update(emis_paid_on_time=0)  # so that the next run updates every loan
    run_ingestion(*samples)
    assert not Loan.objects.filter(is_active=False).exists()


def test_the_drift_check_and_the_repair_read_the_one_sum_of_active_loans(pin_today):
    """current_debt_drift and recompute_current_debt go through customer_active_debt (redefined
    here, for the test's transaction, as 7 for everyone)."""
    from core.services.maintenance import current_debt_drift, recompute_current_debt

    pin_today(TODAY)
    customer = make_customer()
    make_loan(customer, start=dt.date(2025, 3, 16), tenure=3, loan_amount=Decimal("300"))
    assert current_debt_drift() == 0
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE OR REPLACE VIEW customer_active_debt AS"
            " SELECT customer_id, 7::numeric AS active_debt FROM customers"
        )
    assert current_debt_drift() == 1
    assert recompute_current_debt() == 1
    customer.refresh_from_db()
    assert customer.current_debt == 7
