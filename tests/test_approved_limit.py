"""approved_limit = 36 × monthly income rounded to the nearest lakh, halves up."""

from decimal import Decimal

import pytest

from core.models import MAX_MONEY
from core.services.customers import MAX_MONTHLY_INCOME, approved_limit_for


@pytest.mark.parametrize(
    ("income", "limit"),
    [
        ("62500", "2300000"),  # 2,250,000: a tie, rounded up
        ("12500", "500000"),  # 450,000: a tie, rounded up
        ("37500", "1400000"),  # 1,350,000: a tie, rounded up
        ("50000", "1800000"),  # exact lakhs
        ("1388.88", "0"),  # 49,999.68: below half a lakh
        ("1388.89", "100000"),  # 50,000.04: above half a lakh
        ("4166.66", "100000"),  # 149,999.76
        ("4166.67", "200000"),  # 150,000.12
        ("0.01", "0"),
    ],
)
def test_approved_limit_rounding(income, limit):
    assert approved_limit_for(Decimal(income)) == Decimal(limit)


def test_max_monthly_income_is_the_largest_whose_limit_fits():
    assert approved_limit_for(MAX_MONTHLY_INCOME) <= MAX_MONEY
    assert approved_limit_for(MAX_MONTHLY_INCOME + Decimal("0.01")) > MAX_MONEY
