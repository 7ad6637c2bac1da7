"""The monthly installment (EMI) of an amortised loan and its inverse: pure, Decimal."""

from __future__ import annotations

from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext

CENT = Decimal("0.01")
# Intermediate precision: enough that (1 + r) ** 600 carries no error into the cents.
_WORKING_PRECISION = 60


def _check(annual_rate_percent: Decimal, tenure_months: int) -> None:
    if tenure_months < 1:
        raise ValueError("tenure_months must be at least 1")
    if annual_rate_percent < 0:
        raise ValueError("annual_rate_percent must not be negative")


def _installment_per_unit(annual_rate_percent: Decimal, tenure_months: int) -> Decimal:
    """r·(1+r)^n / ((1+r)^n − 1) with r = annual_rate_percent / 1200; 1/n when r = 0.

    Call inside a context of _WORKING_PRECISION digits."""
    if annual_rate_percent == 0:
        return Decimal(1) / tenure_months
    r = annual_rate_percent / Decimal(1200)
    growth = (1 + r) ** tenure_months
    return r * growth / (growth - 1)


def monthly_installment(
    principal: Decimal, annual_rate_percent: Decimal, tenure_months: int
) -> Decimal:
    """EMI = P·r·(1+r)^n / ((1+r)^n − 1) with r = annual_rate_percent / 1200; P/n when r = 0.

    The result is rounded once, to 0.01, half up; everything before is exact to 60 digits.
    """
    _check(annual_rate_percent, tenure_months)
    if principal <= 0:
        raise ValueError("principal must be positive")
    with localcontext() as ctx:
        ctx.prec = _WORKING_PRECISION
        emi = principal * _installment_per_unit(annual_rate_percent, tenure_months)
        return emi.quantize(CENT, rounding=ROUND_HALF_UP)


def principal_bound(
    max_installment: Decimal, annual_rate_percent: Decimal, tenure_months: int
) -> Decimal:
    """The inverse of monthly_installment: every principal P strictly below the bound has
    monthly_installment(P, rate, n) <= max_installment, and none at or above it has.

    An EMI is a whole number of cents rounded half up, so it stays within the budget B (taken
    down to whole cents) exactly while P·f < B + 0.005, f being the installment per unit of
    principal. Exact to 60 digits; callers confirm the principal they pick with the rules.
    """
    _check(annual_rate_percent, tenure_months)
    with localcontext() as ctx:
        ctx.prec = _WORKING_PRECISION
        budget = max_installment.quantize(CENT, rounding=ROUND_FLOOR)
        if budget < 0:
            return Decimal(0)
        return (budget + CENT / 2) / _installment_per_unit(annual_rate_percent, tenure_months)
