"""The analysts' views on crafted histories, with credit_today() pinned."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from core.models import CustomerCreditFeatures, CustomerCreditScore
from tests.conftest import make_customer, make_loan

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 6, 15)


def features(customer) -> CustomerCreditFeatures:
    return CustomerCreditFeatures.objects.get(pk=customer.pk)


def score(customer) -> CustomerCreditScore:
    return CustomerCreditScore.objects.get(pk=customer.pk)


def test_customer_without_loans_scores_sixty(pin_today):
    pin_today(TODAY)
    customer = make_customer()
    f, s = features(customer), score(customer)
    assert (f.loans_taken, f.loans_active, f.emis_due, f.emis_paid_on_time) == (0, 0, 0, 0)
    assert f.on_time_ratio is None
    assert (f.approved_volume, f.current_debt, f.current_emis) == (0, 0, 0)
    assert (s.repayment_points, s.history_points, s.activity_points, s.volume_points) == (
        20,
        0,
        20,
        20,
    )
    assert s.credit_score == 60


def test_features_and_components_on_a_crafted_history(pin_today):
    pin_today(TODAY)
    customer = make_customer(approved_limit=Decimal("1000000"))
    # Closed loan of 2023: all 12 installments due, 10 paid on time.
    make_loan(
        customer,
        start=dt.date(2023, 1, 15),
        tenure=12,
        emis_paid_on_time=10,
        loan_amount=Decimal("200000"),
        is_active=False,
    )
    # This year's loans: 4 installments due (Mar..Jun 15), all paid; and one with none due yet.
    make_loan(
        customer,
        start=dt.date(2025, 2, 15),
        tenure=24,
        emis_paid_on_time=4,
        loan_amount=Decimal("300000"),
        monthly_installment=Decimal("13843.40"),
    )
    make_loan(
        customer,
        start=dt.date(2025, 5, 20),
        tenure=6,
        emis_paid_on_time=0,
        loan_amount=Decimal("200000"),
        monthly_installment=Decimal("34318.21"),
    )
    f = features(customer)
    assert (f.loans_taken, f.loans_active, f.emis_due, f.emis_paid_on_time) == (3, 2, 16, 14)
    assert f.on_time_ratio == Decimal("0.875")
    assert f.loans_this_year == 2
    assert f.approved_volume == Decimal("700000")
    assert f.current_debt == Decimal("500000")
    assert f.current_emis == Decimal("48161.61")
    s = score(customer)
    assert s.repayment_points == 35  # 40 × 0.875
    assert s.history_points == 12  # 4 × 3
    assert s.activity_points == 10  # 20 − 5 × 2
    assert s.volume_points == 10  # 20 × (1 − 500,000 / 1,000,000)
    assert s.credit_score == 67


def test_paid_on_time_is_capped_at_installments_due(pin_today):
    pin_today(TODAY)
    customer = make_customer()
    make_loan(customer, start=dt.date(2025, 1, 15), tenure=12, emis_paid_on_time=10)
    f = features(customer)
    assert (f.emis_due, f.emis_paid_on_time, f.on_time_ratio) == (5, 5, 1)


@pytest.mark.parametrize(("debt", "expected"), [("725000", 65), ("730000", 64)])
def test_score_rounds_half_up(pin_today, debt, expected):
    # 40 (all paid) + 4 (one loan) + 15 (one this year) + 20 × (1 − debt/limit): 64.5 and 64.4
    pin_today(TODAY)
    customer = make_customer(approved_limit=Decimal("1000000"))
    make_loan(
        customer,
        start=dt.date(2025, 1, 15),
        tenure=12,
        emis_paid_on_time=5,
        loan_amount=Decimal(debt),
    )
    assert score(customer).credit_score == expected


def test_debt_over_limit_scores_zero_and_equal_does_not(pin_today):
    pin_today(TODAY)
    over = make_customer(approved_limit=Decimal("1000000"))
    make_loan(over, start=dt.date(2025, 1, 15), loan_amount=Decimal("1000000.01"))
    assert score(over).credit_score == 0
    equal = make_customer(approved_limit=Decimal("1000000"))
    make_loan(equal, start=dt.date(2025, 1, 15), loan_amount=Decimal("1000000"))
    s = score(equal)
    assert s.volume_points == 0
    assert s.credit_score == 0 + 4 + 15 + 0  # none of 5 due paid on time: 0 repayment points


def test_zero_limit_with_debt_does_not_divide_by_zero(pin_today):
    pin_today(TODAY)
    customer = make_customer(approved_limit=Decimal("0"))
    make_loan(customer, start=dt.date(2025, 6, 1))
    assert score(customer).credit_score == 0


@pytest.mark.parametrize(("loans", "activity"), [(1, 15), (3, 5), (4, 0), (5, 0), (7, 0)])
def test_activity_points_fall_by_five_per_loan_this_year_and_never_below_zero(
    pin_today, loans, activity
):
    pin_today(TODAY)
    customer = make_customer(approved_limit=Decimal("100000000"))
    make_loan(customer, start=dt.date(2024, 12, 31), tenure=1, is_active=False)  # last year
    for n in range(loans):
        make_loan(customer, start=dt.date(2025, 1 + n % 6, 1), tenure=60, is_active=False)
    s = score(customer)
    assert features(customer).loans_this_year == loans
    assert s.activity_points == activity
    assert s.history_points == min(4 * (loans + 1), 20)


@pytest.mark.parametrize("loans", [5, 6, 7, 12])
def test_history_points_are_capped_at_twenty_and_the_score_at_a_hundred(pin_today, loans):
    # Closed loans of earlier years, every installment paid on time, no debt: every other
    # component is at its maximum, so a history cap above 20 would push the score past 100.
    pin_today(TODAY)
    customer = make_customer()
    for n in range(loans):
        make_loan(
            customer,
            start=dt.date(2015 + n % 9, 1 + n % 12, 10),
            tenure=12,
            emis_paid_on_time=12,
            is_active=False,
        )
    s = score(customer)
    assert (s.repayment_points, s.history_points, s.activity_points, s.volume_points) == (
        40,
        20,
        20,
        20,
    )
    assert s.credit_score == 100


def test_zero_limit_without_debt_scores_full_volume_points(api, pin_today):
    # 36 x 1,388.88 = 49,999.68 rounds to an approved limit of 0 lakh; with no debt the volume
    # component is still 20 (nothing of a zero limit is used), so the score is the no-loan 60.
    pin_today(TODAY)
    response = api.post(
        "/register",
        {
            "first_name": "Low",
            "last_name": "Income",
            "age": 30,
            "monthly_income": 1388.88,
            "phone_number": "9811122233",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["approved_limit"] == 0
    s = CustomerCreditScore.objects.get(pk=body["customer_id"])
    assert (s.repayment_points, s.history_points, s.activity_points, s.volume_points) == (
        20,
        0,
        20,
        20,
    )
    assert s.credit_score == 60


@pytest.mark.parametrize(
    ("today", "due"),
    [
        (dt.date(2024, 1, 31), 0),
        (dt.date(2024, 2, 28), 0),
        (dt.date(2024, 2, 29), 1),  # Jan 31 + 1 month = Feb 29 (leap year)
        (dt.date(2024, 3, 30), 1),
        (dt.date(2024, 3, 31), 2),
        (dt.date(2024, 4, 30), 3),  # clamped to Apr 30
        (dt.date(2030, 1, 1), 3),  # never more than the tenure
        (dt.date(2023, 12, 1), 0),  # before the start
    ],
)
def test_installments_due_with_month_end_clamping(pin_today, today, due):
    pin_today(today)
    with connection.cursor() as cursor:
        cursor.execute("SELECT loan_installments_due('2024-01-31', 3, credit_today())")
        assert cursor.fetchone()[0] == due


def test_credit_today_follows_the_time_zone_setting():
    # UTC+14 and UTC-12 are 26 hours apart: at every hour of the day their dates differ, and
    # at least one of them differs from the UTC date, so a function that ignored the setting
    # could not pass at any hour.
    days = {}
    with connection.cursor() as cursor:
        for zone in ("Etc/GMT-14", "Etc/GMT+12"):
            cursor.execute("SELECT set_config('credit.time_zone', %s, true)", [zone])
            cursor.execute("SELECT credit_today(), (now() AT TIME ZONE %s)::date", [zone])
            days[zone], expected = cursor.fetchone()
            assert days[zone] == expected, zone
    assert days["Etc/GMT-14"] - days["Etc/GMT+12"] in (dt.timedelta(days=1), dt.timedelta(days=2))


def test_every_view_and_column_is_commented():
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname, a.attname, obj_description(c.oid, 'pg_class'),
                      col_description(c.oid, a.attnum)
                 FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
                WHERE c.relname IN ('customer_credit_features', 'customer_credit_scores',
                                    'decision_outcomes_daily', 'customer_latest_decision')
                  AND a.attnum > 0"""
        )
        rows = cursor.fetchall()
    assert len(rows) == 12 + 7 + 13 + 17
    assert all(view_comment and column_comment for _, _, view_comment, column_comment in rows)
