"""The amortization arithmetic (core/services/emi.py) against hand-computed vectors.

Each vector is worked out by hand in its comment: interest = balance × rate / 1200 rounded to
0.01 half up; principal = amount − interest; the last installment pays whatever is left.
"""

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.services.emi import (
    amortization_schedule,
    monthly_installment,
    next_installment,
    settle_installment,
)
from core.services.errors import PaymentAbovePayoff, PaymentBelowInterest, PaymentMustPayOff

# 100,000 at 12 % over 12 months: EMI 8,884.88 (100000 × 0.01 × 1.01^12 / (1.01^12 − 1)
# = 8,884.8789 → 8,884.88).
P, RATE, N, EMI = D("100000"), D("12"), 12, D("8884.88")


def test_first_installment_splits_interest_then_principal():
    row = next_installment(P, RATE, EMI, 1, N)
    # 100,000 × 12 / 1200 = 1,000.00 interest; 8,884.88 − 1,000.00 = 7,884.88 principal.
    assert (row.interest, row.amount, row.principal, row.balance_after) == (
        D("1000.00"),
        D("8884.88"),
        D("7884.88"),
        D("92115.12"),
    )
    # 92,115.12 × 0.01 = 921.1512 → 921.15
    assert next_installment(row.balance_after, RATE, EMI, 2, N).interest == D("921.15")


def test_interest_rounds_half_up():
    # 1,000.50 × 12 / 1200 = 10.005 exactly → 10.01 (half up, not half to even 10.00).
    assert next_installment(D("1000.50"), RATE, EMI, 1, N).interest == D("10.01")


def test_last_installment_absorbs_the_rounding_remainder():
    rows = amortization_schedule(P, RATE, EMI, 1, N)
    assert len(rows) == N
    # Before the last installment 8,796.88 is owed: interest 87.9688 → 87.97, so the last
    # installment is 8,796.88 + 87.97 = 8,884.85, three cents below the EMI.
    assert rows[-2].balance_after == D("8796.88")
    assert (rows[-1].interest, rows[-1].amount, rows[-1].balance_after) == (
        D("87.97"),
        D("8884.85"),
        D("0.00"),
    )
    assert sum(r.principal for r in rows) == P
    assert sum(r.amount for r in rows) == sum(r.interest for r in rows) + P


def test_zero_percent_has_no_interest_and_the_last_takes_the_cent():
    emi = monthly_installment(D("1000"), D("0"), 3)  # 333.333… → 333.33
    assert emi == D("333.33")
    rows = amortization_schedule(D("1000"), D("0"), emi, 1, 3)
    assert [r.interest for r in rows] == [D("0.00")] * 3
    assert [r.amount for r in rows] == [D("333.33"), D("333.33"), D("333.34")]
    assert rows[-1].balance_after == D("0.00")


def test_scheduled_payment_keeps_the_emi_and_is_in_full():
    s = settle_installment(P, RATE, EMI, 1, N, EMI)
    assert (s.interest, s.principal, s.balance_after) == (
        D("1000.00"),
        D("7884.88"),
        D("92115.12"),
    )
    assert s.monthly_installment == EMI and s.paid_in_full and not s.paid_off


def test_payoff_amount_closes_the_loan():
    # Payoff at installment 1: 100,000 + 1,000.00 interest = 101,000.00.
    s = settle_installment(P, RATE, EMI, 1, N, D("101000.00"))
    assert (s.interest, s.principal, s.balance_after, s.paid_off) == (
        D("1000.00"),
        D("100000.00"),
        D("0.00"),
        True,
    )
    assert s.monthly_installment == EMI  # unchanged: no installment is left to spread over


def test_over_payment_lowers_the_emi():
    # 20,000: 1,000.00 interest, 19,000.00 principal, 81,000.00 left over 11 installments:
    # 81000 × 0.01 × 1.01^11 / (1.01^11 − 1) = 7,812.7801 → 7,812.78 (from 8,884.88).
    s = settle_installment(P, RATE, EMI, 1, N, D("20000"))
    assert (s.principal, s.balance_after, s.monthly_installment) == (
        D("19000.00"),
        D("81000.00"),
        D("7812.78"),
    )
    assert s.paid_in_full and not s.paid_off


def test_under_payment_raises_the_emi():
    # 5,000: 1,000.00 interest, 4,000.00 principal, 96,000.00 left over 11 installments:
    # 96000 × 0.01 × 1.01^11 / (1.01^11 − 1) = 9,259.5913 → 9,259.59.
    s = settle_installment(P, RATE, EMI, 1, N, D("5000"))
    assert (s.principal, s.balance_after, s.monthly_installment) == (
        D("4000.00"),
        D("96000.00"),
        D("9259.59"),
    )
    assert not s.paid_in_full


def test_interest_only_payment_is_accepted_and_leaves_the_balance():
    s = settle_installment(P, RATE, EMI, 1, N, D("1000.00"))
    assert (s.principal, s.balance_after) == (D("0.00"), P)


def test_below_interest_is_refused_naming_the_interest():
    with pytest.raises(PaymentBelowInterest) as refused:
        settle_installment(P, RATE, EMI, 1, N, D("999.99"))
    assert refused.value.interest == D("1000.00")


def test_above_payoff_is_refused_naming_the_payoff():
    with pytest.raises(PaymentAbovePayoff) as refused:
        settle_installment(P, RATE, EMI, 1, N, D("101000.01"))
    assert refused.value.payoff_amount == D("101000.00")


def test_last_installment_must_pay_off():
    with pytest.raises(PaymentMustPayOff) as refused:
        settle_installment(D("8796.88"), RATE, EMI, N, N, D("8000"))
    assert refused.value.payoff_amount == D("8884.85")
    assert settle_installment(D("8796.88"), RATE, EMI, N, N, D("8884.85")).paid_off


def test_recalculated_emi_never_drops_to_zero():
    # 0.05 left over 599 installments at 0 %: 0.0000834… rounds to 0.00; the EMI stays 0.01.
    s = settle_installment(D("100.00"), D("0"), D("0.17"), 1, 600, D("99.95"))
    assert s.balance_after == D("0.05") and s.monthly_installment == D("0.01")


def rounding_drift_bound(rate: D, tenure: int) -> D:
    """How far the balance before the last installment can stray from the exact schedule's:
    each installment carries at most half a cent of EMI rounding and half a cent of interest
    rounding, and each carried cent earns interest until the end: 0.01 × ((1 + r)^n − 1) / r."""
    r = rate / 1200
    return D("0.01") * tenure if r == 0 else D("0.01") * ((1 + r) ** tenure - 1) / r


loans = st.tuples(
    st.decimals(min_value=D("1000"), max_value=10**9, places=2),
    st.decimals(min_value=0, max_value=36, places=2),
    st.integers(min_value=1, max_value=600),
)


@given(loans)
@settings(max_examples=300, derandomize=True, deadline=None)
def test_paying_as_scheduled_ends_at_zero_after_exactly_tenure_payments(loan):
    principal, rate, tenure = loan
    emi = monthly_installment(principal, rate, tenure)
    balance, interest, principal_paid, paid, payments = principal, D(0), D(0), D(0), 0
    for number in range(1, tenure + 1):
        due = next_installment(balance, rate, emi, number, tenure)
        s = settle_installment(balance, rate, emi, number, tenure, due.amount)
        assert s.monthly_installment == emi  # paying what is asked never changes the EMI
        interest += s.interest
        principal_paid += s.principal
        paid += s.amount
        balance = s.balance_after
        payments += 1
        if s.paid_off:
            break
    assert balance == D("0.00")
    assert principal_paid == principal
    assert interest + principal_paid == paid
    drift = rounding_drift_bound(rate, tenure)
    if drift < emi:
        # The rounding carried forward is less than one installment: the schedule runs its
        # full tenure and the last installment differs from the EMI by at most that drift.
        assert payments == tenure
        assert abs(due.amount - emi) <= drift
    else:
        # A very long loan at a high rate (e.g. 600 months at 24 %): a rounded-up EMI may pay
        # the loan off early; it never takes longer than its tenure.
        assert payments <= tenure


def test_most_realistic_loans_fall_in_the_exact_tenure_case():
    # 30 years at 12 %, 1,000,000: drift bound 0.01 × 3,494.96 ≈ 34.95 ≪ EMI 10,286.13.
    assert rounding_drift_bound(D("12"), 360) < D("35")
    rows = amortization_schedule(D("1000000"), D("12"), D("10286.13"), 1, 360)
    assert len(rows) == 360 and rows[-1].balance_after == 0
