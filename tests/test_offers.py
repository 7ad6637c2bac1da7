"""Counter-offers on declines: every option sent back is approved, one unit more is not."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from core.models import MAX_TENURE_MONTHS
from core.services.credit_score import CreditProfile
from core.services.eligibility import LoanRequest, decide
from core.services.emi import monthly_installment, principal_bound
from core.services.offers import OFFER_AMOUNT_UNIT, counter_offer


def profile(**overrides) -> CreditProfile:
    values = {
        "customer_id": 1,
        "credit_score": 60,
        "current_debt": Decimal("0"),
        "current_emis": Decimal("0"),
        "approved_limit": Decimal("2300000"),
        "monthly_salary": Decimal("62500"),
    }
    values.update(overrides)
    return CreditProfile(**values)


def request(amount, rate="10", tenure=12) -> LoanRequest:
    return LoanRequest(1, Decimal(amount), Decimal(rate), tenure)


def approves(p: CreditProfile, amount: Decimal, rate: Decimal, tenure: int) -> bool:
    return decide(p, LoanRequest(1, amount, rate, tenure)).approved


# --- the property ------------------------------------------------------------------------------

rates = st.integers(min_value=0, max_value=10000).map(lambda c: Decimal(c) / 100)
salaries = st.one_of(
    st.integers(min_value=10**5, max_value=10**6),  # 1,000.00 to 10,000.00: small amounts
    st.integers(min_value=10**6, max_value=10**10),
).map(lambda c: Decimal(c) / 100)


def share(draw, of: Decimal, most_percent: int, least_percent: int = 0) -> Decimal:
    """A random share of an amount, least_percent .. most_percent %, in whole cents."""
    percent = draw(st.integers(min_value=least_percent * 100, max_value=most_percent * 100))
    return (of * percent / 10000).quantize(Decimal("0.01"))


@st.composite
def profiles_and_requests(draw):
    # Sized relative to the salary, so both sides of each rule's line are drawn often.
    salary = draw(salaries)
    limit = share(draw, salary, 4000, 50)  # half a salary to 40 salaries
    p = CreditProfile(
        customer_id=1,
        credit_score=draw(st.integers(min_value=0, max_value=100)),
        monthly_salary=salary,
        current_emis=share(draw, salary, 55),  # up to 55 % of the salary
        current_debt=share(draw, limit, 105),
        approved_limit=limit,
    )
    amount = max(share(draw, salary, 5000, 100), Decimal("0.01"))
    r = LoanRequest(1, amount, draw(rates), draw(st.integers(1, MAX_TENURE_MONTHS)))
    return p, r


@settings(
    max_examples=1000,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(profiles_and_requests())
def test_every_offer_is_approved_and_one_unit_more_is_not(case):
    p, r = case
    decision = decide(p, r)
    answer = counter_offer(p, decision)
    rules = {reason.rule for reason in decision.reasons}
    if decision.approved or not rules & {"affordability", "credit_limit"} or p.credit_score < 10:
        event("no offer due")
        assert answer.offer is None and answer.note is None
        return
    assert answer.note  # an offer is described, and its absence explained
    if answer.offer is None:
        event("offer null")
        assert answer.note.startswith("no counter-offer")
        # Nothing would pass: not even one unit at the requested tenure.
        assert not approves(p, OFFER_AMOUNT_UNIT, decision.corrected_interest_rate, r.tenure)
        return
    offer = answer.offer
    assert offer.interest_rate == decision.corrected_interest_rate
    largest = offer.largest_amount
    event(f"largest amount offered: {largest is not None}")
    event(f"shortest tenure offered: {offer.shortest_tenure is not None}")
    if largest is not None:
        assert largest.loan_amount % OFFER_AMOUNT_UNIT == 0
        assert (largest.interest_rate, largest.tenure) == (offer.interest_rate, r.tenure)
        assert approves(p, largest.loan_amount, largest.interest_rate, largest.tenure)
        assert largest.monthly_installment == monthly_installment(
            largest.loan_amount, largest.interest_rate, largest.tenure
        )
        one_more = largest.loan_amount + OFFER_AMOUNT_UNIT
        assert not approves(p, one_more, largest.interest_rate, largest.tenure)
    else:
        assert not approves(p, OFFER_AMOUNT_UNIT, offer.interest_rate, r.tenure)
    shortest = offer.shortest_tenure
    if shortest is not None:
        assert shortest.loan_amount == r.loan_amount
        assert r.tenure < shortest.tenure <= MAX_TENURE_MONTHS
        assert approves(p, r.loan_amount, shortest.interest_rate, shortest.tenure)
        assert not approves(p, r.loan_amount, shortest.interest_rate, shortest.tenure - 1)
    elif "credit_limit" not in rules:
        assert not approves(p, r.loan_amount, offer.interest_rate, MAX_TENURE_MONTHS)


# --- worked cases ------------------------------------------------------------------------------


def test_affordability_decline_offers_the_largest_amount_and_the_shortest_tenure():
    # Half the salary is 31,250; 1,000,000 over 12 months at 10 % costs 87,915.89 a month.
    p = profile()
    decision = decide(p, request("1000000"))
    assert [r.rule for r in decision.reasons] == ["affordability"]
    offer = counter_offer(p, decision).offer
    largest = offer.largest_amount
    assert largest.loan_amount == Decimal("355000.00")
    assert monthly_installment(Decimal("355000"), Decimal("10"), 12) <= Decimal("31250")
    assert monthly_installment(Decimal("356000"), Decimal("10"), 12) > Decimal("31250")
    shortest = offer.shortest_tenure
    assert (shortest.loan_amount, shortest.tenure) == (Decimal("1000000"), 38)
    assert shortest.monthly_installment <= Decimal("31250")
    assert monthly_installment(Decimal("1000000"), Decimal("10"), 37) > Decimal("31250")


def test_credit_limit_decline_offers_what_the_limit_leaves_and_no_tenure():
    p = profile(current_debt=Decimal("2000000"), monthly_salary=Decimal("10000000"))
    decision = decide(p, request("500500"))
    assert [r.rule for r in decision.reasons] == ["credit_limit"]
    offer = counter_offer(p, decision).offer
    assert offer.largest_amount.loan_amount == Decimal("300000.00")
    assert offer.shortest_tenure is None  # no tenure changes the limit


def test_offers_are_at_the_corrected_rate():
    p = profile(credit_score=40)
    decision = decide(p, request("1000000", rate="8"))
    assert {r.rule for r in decision.reasons} == {"interest_rate", "affordability"}
    offer = counter_offer(p, decision).offer
    assert offer.interest_rate == Decimal("12")
    assert offer.largest_amount.interest_rate == Decimal("12")
    assert approves(p, offer.largest_amount.loan_amount, Decimal("12"), 12)


def test_no_offer_when_current_emis_already_take_half_the_salary():
    p = profile(current_emis=Decimal("31250"))
    answer = counter_offer(p, decide(p, request("1000")))
    assert answer.offer is None
    assert "current EMIs 31,250.00 alone already take half or more" in answer.note


def test_no_offer_when_the_limit_is_used_up():
    p = profile(current_debt=Decimal("2299500"))
    answer = counter_offer(p, decide(p, request("1000")))
    assert answer.offer is None
    assert "leaves less than 1,000.00 of the approved limit" in answer.note


@pytest.mark.parametrize(
    "p",
    [profile(credit_score=9), profile()],
    ids=["the slab lends nothing", "approved"],
)
def test_no_offer_is_made_when_none_is_due(p):
    answer = counter_offer(p, decide(p, request("1000")))
    assert (answer.offer, answer.note) == (None, None)


def test_a_rate_only_decline_gets_no_offer_the_corrected_rate_is_the_offer():
    p = profile(credit_score=40)
    answer = counter_offer(p, decide(p, request("1000", rate="8")))
    assert (answer.offer, answer.note) == (None, None)


@pytest.mark.parametrize("rate", ["0", "0.01", "10", "100"])
@pytest.mark.parametrize("tenure", [1, 7, 600])
def test_principal_bound_inverts_the_installment(rate, tenure):
    budget = Decimal("12345.67")
    bound = principal_bound(budget, Decimal(rate), tenure)
    below = (bound - Decimal("0.01")).quantize(Decimal("0.01"))
    assert monthly_installment(below, Decimal(rate), tenure) <= budget
    above = (bound + Decimal("0.01")).quantize(Decimal("0.01"))
    assert monthly_installment(above, Decimal(rate), tenure) > budget
