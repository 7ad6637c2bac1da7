"""The database guards its own invariants: constraints, current_debt triggers, guards."""

import datetime as dt
from decimal import Decimal

import pgtrigger
import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from core.models import Customer, Loan
from core.services.maintenance import DEBT_GUARD
from tests.conftest import make_customer, make_loan

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 15)


def debt(customer) -> Decimal:
    return Customer.objects.values_list("current_debt", flat=True).get(pk=customer.pk)


def test_insert_update_delete_keep_current_debt(assert_debt_invariant):
    a, b = make_customer(), make_customer()
    loan = make_loan(a, start=START, loan_amount=Decimal("1000.50"))
    make_loan(a, start=START, loan_amount=Decimal("99"), is_active=False)
    assert debt(a) == Decimal("1000.50")
    assert_debt_invariant()

    Loan.objects.filter(pk=loan.pk).update(loan_amount=Decimal("2000"))
    assert debt(a) == 2000
    Loan.objects.filter(pk=loan.pk).update(customer=b)  # moved to another customer
    assert (debt(a), debt(b)) == (0, 2000)
    Loan.objects.filter(pk=loan.pk).update(is_active=False)
    assert debt(b) == 0
    Loan.objects.filter(pk=loan.pk).update(is_active=True)
    assert debt(b) == 2000
    Loan.objects.filter(pk=loan.pk).delete()
    assert debt(b) == 0
    assert_debt_invariant()


def test_bulk_statements_keep_current_debt(assert_debt_invariant):
    customers = [make_customer() for _ in range(5)]
    Loan.objects.bulk_create(
        Loan(
            customer=c,
            loan_amount=Decimal(100 + i),
            interest_rate=Decimal("9"),
            tenure=12,
            monthly_installment=Decimal("10"),
            emis_paid_on_time=0,
            start_date=START,
            end_date=dt.date(2026, 1, 15),
            is_active=i % 3 != 0,
        )
        for i, c in enumerate(customers * 40)
    )
    assert_debt_invariant()
    Loan.objects.filter(loan_amount__lt=120).update(is_active=False)
    assert_debt_invariant()
    Loan.objects.filter(loan_amount__gt=130).update(loan_amount=Decimal("1.01"))
    assert_debt_invariant()
    Loan.objects.filter(loan_amount__gt=125).delete()
    assert_debt_invariant()


def test_direct_writes_to_current_debt_are_refused():
    customer = make_customer()
    with (
        pytest.raises(IntegrityError, match="maintained by the loans triggers"),
        transaction.atomic(),
    ):
        Customer.objects.filter(pk=customer.pk).update(current_debt=Decimal("5"))
    with (
        pytest.raises(IntegrityError, match="maintained by the loans triggers"),
        transaction.atomic(),
    ):
        make_customer(current_debt=Decimal("5"))
    with (  # from a function too: only the loans triggers (trigger depth > 0) may write it
        pytest.raises(IntegrityError, match="maintained by the loans triggers"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        customer_id = int(customer.pk)
        cursor.execute(
            f"DO $$ BEGIN UPDATE customers SET current_debt = 5 WHERE customer_id = {customer_id};"
            " END $$"
        )
    # Other columns stay writable.
    Customer.objects.filter(pk=customer.pk).update(first_name="Renamed")


def test_truncate_of_loans_is_refused():
    make_loan(make_customer(), start=START)
    with (
        pytest.raises(IntegrityError, match="TRUNCATE of loans is refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # Plain TRUNCATE loans already stops at repayments' foreign key; CASCADE gets past it
        # and the trigger refuses.
        cursor.execute("TRUNCATE loans CASCADE")
    assert Loan.objects.count() == 1


def test_deleting_a_customer_with_loans_is_refused_by_the_database():
    customer = make_customer()
    make_loan(customer, start=START)
    with (
        pytest.raises(IntegrityError, match="loans_customer_id_fkey"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM customers WHERE customer_id = %s", [customer.pk])


def test_recompute_current_debt_repairs_drift(assert_debt_invariant):
    customer = make_customer()
    make_loan(customer, start=START, loan_amount=Decimal("500"))
    with pgtrigger.ignore(DEBT_GUARD):  # simulate a restore that lost the column
        Customer.objects.filter(pk=customer.pk).update(current_debt=Decimal("7"))
    with pytest.raises(CommandError):
        call_command("recompute_current_debt", "--check")
    call_command("recompute_current_debt")
    assert debt(customer) == 500
    assert_debt_invariant()
    call_command("recompute_current_debt", "--check")


CUSTOMER_VIOLATIONS = [
    ({"first_name": "  "}, "customers_first_name_not_blank"),
    ({"last_name": ""}, "customers_last_name_not_blank"),
    ({"phone_number": "0123456789"}, "customers_phone_number_format"),
    ({"phone_number": "123456789"}, "customers_phone_number_format"),
    ({"phone_number": "12345678a0"}, "customers_phone_number_format"),
    ({"age": 17}, "customers_age_range"),
    ({"age": 101}, "customers_age_range"),
    ({"monthly_salary": Decimal("0")}, "customers_monthly_salary_positive"),
    ({"approved_limit": Decimal("-1")}, "customers_approved_limit_non_negative"),
]


@pytest.mark.parametrize(("fields", "constraint"), CUSTOMER_VIOLATIONS)
def test_customer_constraints(fields, constraint):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        make_customer(**fields)


def test_phone_number_is_unique():
    make_customer(phone_number="9876543210")
    with pytest.raises(IntegrityError, match="customers_phone_number_unique"), transaction.atomic():
        make_customer(phone_number="9876543210")


LOAN_VIOLATIONS = [
    ({"loan_amount": Decimal("0")}, "loans_loan_amount_positive"),
    ({"interest_rate": Decimal("100.01")}, "loans_interest_rate_range"),
    ({"interest_rate": Decimal("-0.01")}, "loans_interest_rate_range"),
    ({"tenure": 0, "end_date": START}, "loans_tenure_range"),
    ({"tenure": 601, "end_date": dt.date(2075, 2, 15)}, "loans_tenure_range"),
    ({"monthly_installment": Decimal("0")}, "loans_monthly_installment_positive"),
    ({"emis_paid_on_time": 13}, "loans_emis_paid_on_time_range"),
    ({"emis_paid_on_time": -1}, "loans_emis_paid_on_time_range"),
    ({"end_date": dt.date(2026, 1, 16)}, "loans_end_date_matches_tenure"),
    ({"customer_id": 10**12}, "loans_customer_id_fkey"),
]


@pytest.mark.parametrize(("fields", "constraint"), LOAN_VIOLATIONS)
def test_loan_constraints(fields, constraint):
    customer = make_customer()
    values = {
        "customer_id": customer.pk,
        "loan_amount": Decimal("100"),
        "interest_rate": Decimal("5"),
        "tenure": 12,
        "monthly_installment": Decimal("9"),
        "emis_paid_on_time": 0,
        "start_date": START,
        "end_date": dt.date(2026, 1, 15),
        "is_active": True,
    }
    values.update(fields)
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Loan.objects.create(**values)


def test_end_date_check_follows_month_end_clamping():
    customer = make_customer()
    make_loan(customer, start=dt.date(2024, 1, 31), tenure=1)  # ends 2024-02-29
    assert Loan.objects.get().end_date == dt.date(2024, 2, 29)


def test_source_loan_id_is_unique_per_customer():
    a, b = make_customer(), make_customer()
    make_loan(a, start=START, source_loan_id=42)
    make_loan(b, start=START, source_loan_id=42)  # the same file id for another customer
    make_loan(a, start=START)  # API loans have none
    make_loan(a, start=START)
    with (
        pytest.raises(IntegrityError, match="loans_customer_source_loan_unique"),
        transaction.atomic(),
    ):
        make_loan(a, start=START, source_loan_id=42)
