"""Counter-offers on a declined request: what the same customer could have instead. Pure.

Two options, both at the corrected rate, each a request that decide() approves as it stands:
- the largest amount at the requested tenure, rounded down to whole OFFER_AMOUNT_UNITs;
- for the requested amount, the shortest tenure up to MAX_TENURE_MONTHS that passes.
The largest amount comes from inverting the EMI formula (emi.principal_bound) and the credit
limit, then is confirmed with decide(), stepping down by the unit should the inverse have landed
on the rounding boundary. The shortest tenure is searched with decide() itself (approval only
gets easier as the tenure grows). Offered only when the request failed affordability or the
credit limit and the customer's slab lends at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from core.models import MAX_TENURE_MONTHS
from core.services.credit_score import CreditProfile
from core.services.eligibility import (
    MAX_EMI_SHARE_OF_SALARY,
    Decision,
    LoanRequest,
    decide,
    format_money,
    format_rate,
    slab_for,
)
from core.services.emi import principal_bound

# Offered amounts are whole multiples of this (whole thousands).
OFFER_AMOUNT_UNIT = Decimal("1000")
# The rules that an offer can answer; a rate below the slab is answered by the corrected rate.
OFFERED_FOR = frozenset({"affordability", "credit_limit"})
# The inverse is exact to 60 digits, so at most one step down is ever needed; a bound, not a hope.
_CONFIRM_STEPS = 3


@dataclass(frozen=True)
class OfferOption:
    """A request the customer may send back as it stands (with its EMI)."""

    loan_amount: Decimal
    interest_rate: Decimal
    tenure: int
    monthly_installment: Decimal


@dataclass(frozen=True)
class CounterOffer:
    interest_rate: Decimal
    largest_amount: OfferOption | None
    shortest_tenure: OfferOption | None


@dataclass(frozen=True)
class OfferAnswer:
    """The offer (None when there is none) and the sentence that says what it is or why none."""

    offer: CounterOffer | None
    note: str | None


NO_OFFER_ASKED = OfferAnswer(offer=None, note=None)


def _approved(profile: CreditProfile, request: LoanRequest) -> Decision | None:
    decision = decide(profile, request)
    return decision if decision.approved else None


def _option(decision: Decision) -> OfferOption:
    return OfferOption(
        loan_amount=decision.loan_amount,
        interest_rate=decision.corrected_interest_rate,
        tenure=decision.tenure,
        monthly_installment=decision.monthly_installment,
    )


def _whole_units(amount: Decimal) -> Decimal:
    units = (amount / OFFER_AMOUNT_UNIT).to_integral_value(rounding=ROUND_FLOOR)
    return (units * OFFER_AMOUNT_UNIT).quantize(Decimal("0.01"))


def largest_amount(profile: CreditProfile, rate: Decimal, tenure: int) -> OfferOption | None:
    """The largest whole-unit amount decide() approves at this rate and tenure, if any."""
    emi_budget = profile.monthly_salary * MAX_EMI_SHARE_OF_SALARY - profile.current_emis
    limit_room = profile.approved_limit - profile.current_debt
    by_emi = _whole_units(principal_bound(emi_budget, rate, tenure))
    amount = min(by_emi, _whole_units(limit_room))
    for _ in range(_CONFIRM_STEPS):
        if amount < OFFER_AMOUNT_UNIT:
            return None
        approved = _approved(profile, LoanRequest(profile.customer_id, amount, rate, tenure))
        if approved is not None:
            return _option(approved)
        amount -= OFFER_AMOUNT_UNIT
    return None


def shortest_tenure(
    profile: CreditProfile, amount: Decimal, rate: Decimal, declined_tenure: int
) -> OfferOption | None:
    """The shortest tenure above declined_tenure, up to the maximum, approving this amount."""

    def at(tenure: int) -> Decision | None:
        return _approved(profile, LoanRequest(profile.customer_id, amount, rate, tenure))

    best = at(MAX_TENURE_MONTHS)
    if best is None:
        return None
    failing, passing = declined_tenure, MAX_TENURE_MONTHS
    while passing - failing > 1:
        middle = (failing + passing) // 2
        decision = at(middle)
        if decision is None:
            failing = middle
        else:
            passing, best = middle, decision
    return _option(best)


def _why_none(profile: CreditProfile, request: LoanRequest, rules: set[str]) -> str:
    ceiling = profile.monthly_salary * MAX_EMI_SHARE_OF_SALARY
    if "affordability" in rules and profile.current_emis >= ceiling:
        return (
            f"no counter-offer: current EMIs {format_money(profile.current_emis)} alone already "
            f"take half or more of the monthly salary {format_money(profile.monthly_salary)}"
        )
    if profile.approved_limit - profile.current_debt < OFFER_AMOUNT_UNIT:
        return (
            f"no counter-offer: current debt {format_money(profile.current_debt)} leaves less "
            f"than {format_money(OFFER_AMOUNT_UNIT)} of the approved limit "
            f"{format_money(profile.approved_limit)}"
        )
    affordable = (
        f"no counter-offer: less than {format_money(OFFER_AMOUNT_UNIT)} would be affordable "
        f"over {request.tenure} months"
    )
    if "credit_limit" in rules:
        return affordable
    return (
        f"{affordable}, and {format_money(request.loan_amount)} is not affordable over any "
        f"tenure up to {MAX_TENURE_MONTHS} months"
    )


def _describe(offer: CounterOffer) -> str:
    parts = [
        f"{format_money(o.loan_amount)} over {o.tenure} months (EMI "
        f"{format_money(o.monthly_installment)})"
        for o in (offer.largest_amount, offer.shortest_tenure)
        if o is not None
    ]
    return f"counter-offer at {format_rate(offer.interest_rate)}: " + ", or ".join(parts)


def counter_offer(profile: CreditProfile, decision: Decision) -> OfferAnswer:
    """The counter-offer for a decided request (NO_OFFER_ASKED when none is due)."""
    rules = {reason.rule for reason in decision.reasons}
    if (
        decision.approved
        or not rules & OFFERED_FOR
        or slab_for(profile.credit_score).min_rate is None
    ):
        return NO_OFFER_ASKED
    rate = decision.corrected_interest_rate
    request = LoanRequest(
        decision.customer_id, decision.loan_amount, decision.interest_rate, decision.tenure
    )
    by_amount = largest_amount(profile, rate, request.tenure)
    by_tenure = None
    if "affordability" in rules and "credit_limit" not in rules:
        by_tenure = shortest_tenure(profile, request.loan_amount, rate, request.tenure)
    if by_amount is None and by_tenure is None:
        return OfferAnswer(offer=None, note=_why_none(profile, request, rules))
    offer = CounterOffer(interest_rate=rate, largest_amount=by_amount, shortest_tenure=by_tenure)
    return OfferAnswer(offer=offer, note=_describe(offer))
