"""Repayment points fed by recorded payments: credit_today() moved month by month."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import ProgrammingError, connection, transaction

from core.models import CustomerCreditScore
from core.services.emi import monthly_installment
from core.services.repayments import make_payment
from tests.conftest import add_months, make_customer, make_loan

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 15)
EMI = monthly_installment(D("120000"), D("12"), 12)


def api_loan():
    return make_loan(
        make_customer(),
        start=START,
        tenure=12,
        loan_amount=D("120000"),
        interest_rate=D("12"),
        monthly_installment=EMI,
    )


def repayment_points(loan) -> D:
    return CustomerCreditScore.objects.get(pk=loan.customer_id).repayment_points


def scheduled(loan) -> D:
    """What the loan's next unpaid installment asks for (loan_schedule)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT amount FROM loan_schedule(%s) WHERE status NOT IN ('paid_on_time', 'paid_late')"
            " ORDER BY installment_number LIMIT 1",
            [loan.pk],
        )
        return cursor.fetchone()[0]


def test_paying_every_installment_on_time_keeps_forty_points(pin_today):
    payer, skipper, lapsed = api_loan(), api_loan(), api_loan()
    for month in range(1, 13):
        due = add_months(START, month)
        pin_today(due - dt.timedelta(days=3))
        make_payment(payer.customer_id, payer.pk, scheduled(payer))
        if month <= 3:
            make_payment(lapsed.customer_id, lapsed.pk, scheduled(lapsed))
        pin_today(due + dt.timedelta(days=10))
        assert repayment_points(payer) == 40, month
        assert repayment_points(skipper) == 0, month  # nothing paid of `month` due
        expected_lapsed = D(40) * min(month, 3) / month
        assert repayment_points(lapsed).quantize(D("0.0001")) == expected_lapsed.quantize(
            D("0.0001")
        ), month
    payer.refresh_from_db()
    assert payer.is_active is False and payer.emis_paid_on_time == 12


def test_a_loan_paid_off_early_keeps_its_points(pin_today):
    loan = api_loan()
    pin_today(dt.date(2025, 2, 10))
    make_payment(loan.customer_id, loan.pk, scheduled(loan))
    pin_today(dt.date(2025, 3, 10))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT balance + principal + interest FROM loan_schedule(%s) WHERE status = 'due'",
            [loan.pk],
        )
        (payoff,) = cursor.fetchone()
    assert make_payment(loan.customer_id, loan.pk, payoff).loan_closed
    for month in range(3, 14):
        pin_today(add_months(START, month) + dt.timedelta(days=1))
        # 2 installments, both on time; the calendar's later installments never came.
        assert repayment_points(loan) == 40, month


def test_analyst_reads_loan_balances_but_not_repayments(pin_today):
    pin_today(dt.date(2025, 2, 10))
    loan = api_loan()
    make_payment(loan.customer_id, loan.pk, EMI)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE credit_analyst")
        cursor.execute(
            "SELECT installments_paid, repayments_left FROM loan_balances WHERE loan_id = %s",
            [loan.pk],
        )
        assert cursor.fetchall() == [(1, 11)]
    with (
        pytest.raises(ProgrammingError, match="permission denied"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL ROLE credit_analyst")
        cursor.execute("SELECT * FROM repayments")
