"""GET /credit-score/{customer_id}: the score explained, read from the two views."""

import datetime as dt
from decimal import Decimal

import pytest

from core.models import CustomerCreditFeatures, CustomerCreditScore
from tests.conftest import make_customer, make_loan

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 6, 15)
FEATURES = (
    "loans_taken",
    "loans_active",
    "emis_due",
    "emis_paid_on_time",
    "on_time_ratio",
    "loans_this_year",
    "approved_volume",
    "current_debt",
    "current_emis",
    "approved_limit",
    "monthly_salary",
)
COMPONENTS = ("repayment_points", "history_points", "activity_points", "volume_points")


def as_number(value):
    return None if value is None else float(value)


def assert_matches_the_views(body: dict, customer) -> None:
    f = CustomerCreditFeatures.objects.get(pk=customer.pk)
    s = CustomerCreditScore.objects.get(pk=customer.pk)
    assert body["customer_id"] == customer.pk
    assert body["credit_score"] == s.credit_score
    assert body["over_limit"] is s.over_limit
    assert body["components"] == {name: as_number(getattr(s, name)) for name in COMPONENTS}
    assert body["features"] == {
        name: getattr(f, name) if isinstance(getattr(f, name), int) else as_number(getattr(f, name))
        for name in FEATURES
    }


def test_a_crafted_history_is_explained(api, pin_today):
    # The README's worked example: score 67 = 35 + 12 + 10 + 10.
    pin_today(TODAY)
    customer = make_customer(approved_limit=Decimal("1000000"))
    make_loan(
        customer,
        start=dt.date(2023, 1, 15),
        emis_paid_on_time=10,
        loan_amount=Decimal("200000"),
        is_active=False,
    )
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
        loan_amount=Decimal("200000"),
        monthly_installment=Decimal("34318.21"),
    )
    response = api.get(f"/credit-score/{customer.pk}")
    assert response.status_code == 200
    body = response.json()
    assert_matches_the_views(body, customer)
    assert body["credit_score"] == 67 and body["over_limit"] is False
    assert body["components"] == {
        "repayment_points": 35,
        "history_points": 12,
        "activity_points": 10,
        "volume_points": 10,
    }
    assert body["features"]["on_time_ratio"] == 0.875
    assert (body["features"]["emis_due"], body["features"]["current_emis"]) == (16, 48161.61)
    assert body["slab"] == {"label": "above 50", "min_score": 51, "min_rate": 0}


def test_a_new_customer_has_no_ratio_and_scores_sixty(api, pin_today):
    pin_today(TODAY)
    customer = make_customer()
    body = api.get(f"/credit-score/{customer.pk}/").json()
    assert_matches_the_views(body, customer)
    assert body["features"]["on_time_ratio"] is None
    assert body["credit_score"] == 60


def test_the_over_limit_rule_is_named(api, pin_today):
    pin_today(TODAY)
    customer = make_customer(approved_limit=Decimal("100000"))
    make_loan(
        customer, start=dt.date(2025, 1, 15), emis_paid_on_time=5, loan_amount=Decimal("100000.01")
    )
    body = api.get(f"/credit-score/{customer.pk}").json()
    assert_matches_the_views(body, customer)
    assert body["over_limit"] is True and body["credit_score"] == 0
    # The points are still shown: the rule, not the points, set the score to 0.
    assert body["components"]["repayment_points"] == 40
    assert body["slab"] == {"label": "below 10", "min_score": -1, "min_rate": None}


@pytest.mark.parametrize(("paid", "label", "min_rate"), [(0, "30-50", 12), (2, "above 50", 0)])
def test_the_slab_and_its_minimum_rate(api, pin_today, paid, label, min_rate):
    pin_today(TODAY)
    customer = make_customer()
    make_loan(customer, start=dt.date(2025, 1, 15), emis_paid_on_time=paid * 2)
    body = api.get(f"/credit-score/{customer.pk}").json()
    assert_matches_the_views(body, customer)
    assert (body["slab"]["label"], body["slab"]["min_rate"]) == (label, min_rate)


def test_unknown_customer_is_404(api):
    for path in ("/credit-score/424242", "/credit-score/9223372036854775807"):
        response = api.get(path)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
