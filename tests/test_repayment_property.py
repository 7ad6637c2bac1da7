"""Property over random loans, through the service and the SQL schedule: paying what the
schedule asks every month ends at 0.00 after exactly tenure payments, and what was paid is
exactly interest + principal. The SQL projection (loan_schedule) equals emi.py's."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.models import Repayment
from core.services.emi import amortization_schedule, monthly_installment
from core.services.repayments import make_payment
from tests.conftest import add_months, make_customer, make_loan

pytestmark = pytest.mark.django_db

loans = st.tuples(
    st.decimals(min_value=D("10000"), max_value=D("50000000"), places=2),
    st.decimals(min_value=0, max_value=30, places=2),
    st.integers(min_value=1, max_value=24),
    st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31)),
)


def sql_schedule(loan_id: int) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT installment_number, interest, amount, principal, balance, status"
            " FROM loan_schedule(%s) ORDER BY installment_number",
            [loan_id],
        )
        return cursor.fetchall()


@given(loans)
@settings(
    max_examples=20,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_paying_the_schedule_reaches_zero_after_exactly_tenure_payments(pin_today, loan):
    principal, rate, tenure, start = loan
    with transaction.atomic():
        pin_today(add_months(start, tenure))  # every due date has come
        emi = monthly_installment(principal, rate, tenure)
        row = make_loan(
            make_customer(),
            start=start,
            tenure=tenure,
            loan_amount=principal,
            interest_rate=rate,
            monthly_installment=emi,
        )
        projected = sql_schedule(row.pk)
        expected = amortization_schedule(principal, rate, emi, 1, tenure)
        assert [r[:5] for r in projected] == [
            (i.number, i.interest, i.amount, i.principal, i.balance_after) for i in expected
        ]
        for number in range(1, tenure + 1):
            asked = sql_schedule(row.pk)[number - 1]
            assert asked[5] in ("overdue", "due")
            result = make_payment(
                row.customer_id, row.pk, asked[2], paid_on=add_months(start, number)
            )
            assert result.installment_number == number and result.on_time
            assert result.loan_closed == (number == tenure)
        paid = list(
            Repayment.objects.filter(loan_id=row.pk).values_list(
                "amount", "interest", "principal", "balance_after"
            )
        )
        assert len(paid) == tenure
        assert paid[-1][3] == D("0.00")
        assert sum(p[0] for p in paid) == sum(p[1] for p in paid) + sum(p[2] for p in paid)
        assert sum(p[2] for p in paid) == principal
        assert [r[:5] for r in sql_schedule(row.pk)] == [r[:5] for r in projected]
        transaction.set_rollback(True)


@given(
    st.decimals(min_value=D("0.01"), max_value=D("999999999999.99"), places=2),
    st.decimals(min_value=0, max_value=100, places=2),
    st.integers(min_value=1, max_value=600),
)
@settings(max_examples=300, derandomize=True, deadline=None, database=None)
def test_sql_emi_equals_the_service_emi(principal, rate, tenure):
    with connection.cursor() as cursor:
        cursor.execute("SELECT loan_emi(%s, %s, %s)", [principal, rate, tenure])
        assert cursor.fetchone()[0] == monthly_installment(principal, rate, tenure)
