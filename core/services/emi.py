"""The arithmetic of an amortised loan: the EMI and its inverse, its schedule and what a
payment does.

Pure functions over Decimal; every figure is rounded once, to 0.01 half up.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext

from core.services.errors import PaymentAbovePayoff, PaymentBelowInterest, PaymentMustPayOff

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


# --- Amortization: one installment at a time --------------------------------------------------
#
# The balance B owed before installment k accrues one month's interest, round(B × rate / 1200)
# to 0.01 half up. Installment k asks for the EMI, or for everything owed (B + interest) when
# that is less or when k is the last installment: the last installment absorbs every rounding
# remainder, so a schedule always ends at exactly 0.00. sql/loan_ledger_v1.sql (loan_schedule)
# projects the future with this same rule; tests hold the two to the same figures.


def round_cent(value: Decimal) -> Decimal:
    """Round to 0.01, halves up (the one rounding every figure of a schedule gets)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Installment:
    """Installment `number` of a schedule: what it asks for and how it splits."""

    number: int
    interest: Decimal
    amount: Decimal
    principal: Decimal
    balance_after: Decimal

    @property
    def payoff_amount(self) -> Decimal:
        """Everything owed at this installment: the balance before it plus its interest."""
        return self.balance_after + self.principal + self.interest


def monthly_interest(balance: Decimal, annual_rate_percent: Decimal) -> Decimal:
    """One month's interest on balance, rounded once."""
    with localcontext() as ctx:
        ctx.prec = _WORKING_PRECISION
        return round_cent(balance * annual_rate_percent / Decimal(1200))


def next_installment(
    balance: Decimal, annual_rate_percent: Decimal, emi: Decimal, number: int, tenure: int
) -> Installment:
    """Installment `number` (1..tenure) of a loan owing `balance` before it, at EMI `emi`."""
    interest = monthly_interest(balance, annual_rate_percent)
    owed = balance + interest
    amount = owed if number >= tenure or emi >= owed else emi
    principal = amount - interest
    return Installment(number, interest, amount, principal, balance - principal)


def amortization_schedule(
    balance: Decimal, annual_rate_percent: Decimal, emi: Decimal, first: int, tenure: int
) -> list[Installment]:
    """Installments first..tenure paid exactly as asked, until the balance is 0.00."""
    rows = []
    number = first
    while number <= tenure and balance > 0:
        row = next_installment(balance, annual_rate_percent, emi, number, tenure)
        rows.append(row)
        balance = row.balance_after
        number += 1
    return rows


@dataclass(frozen=True)
class Settlement:
    """What a payment of `amount` does to installment `installment.number`."""

    installment: Installment  # as scheduled: what the installment asked for
    amount: Decimal
    interest: Decimal
    principal: Decimal
    balance_after: Decimal
    monthly_installment: Decimal  # the EMI from the next installment on
    paid_off: bool

    @property
    def paid_in_full(self) -> bool:
        """The amount covers what the installment asked for (half of the on-time rule)."""
        return self.amount >= self.installment.amount


def settle_installment(
    balance: Decimal,
    annual_rate_percent: Decimal,
    emi: Decimal,
    number: int,
    tenure: int,
    amount: Decimal,
) -> Settlement:
    """Apply a payment to the next unpaid installment `number` of a loan owing `balance`.

    Interest first, the rest lowers the balance. Exactly the payoff amount (balance + interest)
    closes the loan. Any other amount different from what the installment asked for spreads
    the new balance over the installments that remain: the EMI is recalculated at the loan's
    rate (lower after an over-payment, higher after an under-payment). Refused: less than the
    interest, more than the payoff amount, and less than the payoff amount on the last
    installment (which must close the loan).
    """
    due = next_installment(balance, annual_rate_percent, emi, number, tenure)
    payoff = due.payoff_amount
    if amount > payoff:
        raise PaymentAbovePayoff(payoff)
    if amount < due.interest:
        raise PaymentBelowInterest(due.interest, payoff)
    if number >= tenure and amount < payoff:
        raise PaymentMustPayOff(payoff)
    principal = amount - due.interest
    balance_after = balance - principal
    new_emi = emi
    if balance_after > 0 and amount != due.amount:
        # tenure - number >= 1 here: the last installment never leaves a balance.
        new_emi = max(
            CENT, monthly_installment(balance_after, annual_rate_percent, tenure - number)
        )
    return Settlement(
        installment=due,
        amount=amount,
        interest=due.interest,
        principal=principal,
        balance_after=balance_after,
        monthly_installment=new_emi,
        paid_off=balance_after == 0,
    )
