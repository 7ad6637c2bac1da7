"""The monthly installment (EMI) of an amortised loan: pure, Decimal, rounded once."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext

CENT = Decimal("0.01")
# Intermediate precision: enough that (1 + r) ** 600 carries no error into the cents.
_WORKING_PRECISION = 60


def monthly_installment(
    principal: Decimal, annual_rate_percent: Decimal, tenure_months: int
) -> Decimal:
    """EMI = P·r·(1+r)^n / ((1+r)^n − 1) with r = annual_rate_percent / 1200; P/n when r = 0.

    The result is rounded once, to 0.01, half up; everything before is exact to 60 digits.
    """
    if tenure_months < 1:
        raise ValueError("tenure_months must be at least 1")
    if principal <= 0:
        raise ValueError("principal must be positive")
    if annual_rate_percent < 0:
        raise ValueError("annual_rate_percent must not be negative")
    with localcontext() as ctx:
        ctx.prec = _WORKING_PRECISION
        if annual_rate_percent == 0:
            emi = principal / tenure_months
        else:
            r = annual_rate_percent / Decimal(1200)
            growth = (1 + r) ** tenure_months
            emi = principal * r * growth / (growth - 1)
        return emi.quantize(CENT, rounding=ROUND_HALF_UP)
