"""EMI vectors: checked against an exact rational oracle and well-known loan figures."""

from decimal import Decimal
from fractions import Fraction

import pytest

from core.services.emi import monthly_installment


def exact_emi(principal: str, rate: str, months: int) -> Decimal:
    """Independent oracle: exact rational arithmetic, then one half-up rounding to cents."""
    p, r = Fraction(principal), Fraction(rate) / 1200
    value = p / months if r == 0 else p * r * (1 + r) ** months / ((1 + r) ** months - 1)
    cents = value * 100
    whole = cents.numerator // cents.denominator
    if cents - whole >= Fraction(1, 2):
        whole += 1
    return Decimal(whole) / 100


@pytest.mark.parametrize(
    ("principal", "rate", "months", "expected"),
    [
        ("100000", "10", 12, "8791.59"),  # textbook figure
        ("1000000", "8.5", 240, "8678.23"),  # 20-year home loan
        ("500000", "10.5", 24, "23188.02"),
        ("2500000", "7.25", 360, "17054.41"),  # 30 years
        ("1000000", "12", 600, "10025.60"),  # longest tenure
        ("100", "0.01", 600, "0.17"),  # tiny rate, long tenure
        ("100000", "13.46", 3, "34083.89"),
        ("999999999999.99", "100", 1, "1083333333333.32"),  # extreme amount and rate
        # zero rate: P / n
        ("100000", "0", 12, "8333.33"),
        ("200", "0", 3, "66.67"),
        # exact half cents round up, not to even
        ("0.05", "0", 2, "0.03"),
        ("1000.10", "0", 4, "250.03"),
        ("0.25", "0", 10, "0.03"),
    ],
)
def test_emi_vectors(principal, rate, months, expected):
    result = monthly_installment(Decimal(principal), Decimal(rate), months)
    assert result == Decimal(expected)
    assert result == exact_emi(principal, rate, months)
    assert result.as_tuple().exponent == -2


@pytest.mark.parametrize("months", [1, 2, 7, 36, 120, 599, 600])
@pytest.mark.parametrize("rate", ["0", "0.01", "1", "9.99", "12", "16", "33.33", "100"])
def test_emi_matches_exact_oracle_on_a_grid(rate, months):
    assert monthly_installment(Decimal("123456.78"), Decimal(rate), months) == exact_emi(
        "123456.78", rate, months
    )


def test_emi_is_decimal_and_rejects_nonsense():
    assert isinstance(monthly_installment(Decimal("1000"), Decimal("5"), 10), Decimal)
    with pytest.raises(ValueError):
        monthly_installment(Decimal("1000"), Decimal("5"), 0)
    with pytest.raises(ValueError):
        monthly_installment(Decimal("0"), Decimal("5"), 10)
    with pytest.raises(ValueError):
        monthly_installment(Decimal("1000"), Decimal("-1"), 10)
