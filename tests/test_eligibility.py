"""The decision rules as a pure function: slabs, corrected rate, affordability, credit limit."""

from decimal import Decimal

import pytest

from core.services.credit_score import CreditProfile
from core.services.eligibility import LoanRequest, decide
from core.services.emi import monthly_installment


def profile(score: int, **overrides) -> CreditProfile:
    values = {
        "customer_id": 1,
        "credit_score": score,
        "current_debt": Decimal("0"),
        "current_emis": Decimal("0"),
        "approved_limit": Decimal("10000000"),
        "monthly_salary": Decimal("1000000"),
    }
    values.update(overrides)
    return CreditProfile(**values)


def request(amount="100000", rate="8", tenure=12) -> LoanRequest:
    return LoanRequest(
        customer_id=1, loan_amount=Decimal(amount), interest_rate=Decimal(rate), tenure=tenure
    )


@pytest.mark.parametrize(
    ("score", "rate", "approved", "corrected"),
    [
        (51, "0", True, "0"),  # above 50: any rate
        (100, "1.5", True, "1.5"),
        (50, "11.99", False, "12"),  # 30-50 needs 12
        (50, "12", True, "12"),
        (30, "11", False, "12"),
        (30, "12.5", True, "12.5"),
        (29, "15.99", False, "16"),  # 10-29 needs 16
        (29, "16", True, "16"),
        (10, "15", False, "16"),
        (10, "20", True, "20"),
        (9, "20", False, "20"),  # below 10: declined, the requested rate stands
        (0, "5", False, "5"),
    ],
)
def test_slab_edges(score, rate, approved, corrected):
    decision = decide(profile(score), request(rate=rate))
    assert decision.approved is approved
    assert decision.corrected_interest_rate == Decimal(corrected)
    assert decision.interest_rate == Decimal(rate)
    assert decision.monthly_installment == monthly_installment(
        Decimal("100000"), Decimal(corrected), 12
    )
    if not approved:
        assert {r.rule for r in decision.reasons} <= {"credit_score", "interest_rate"}
        assert str(score) in decision.message


def test_below_ten_names_the_score():
    decision = decide(profile(9), request(rate="30"))
    assert [r.rule for r in decision.reasons] == ["credit_score"]
    assert "credit score 9" in decision.message


def test_affordability_allows_exactly_half_and_declines_above():
    emi = monthly_installment(Decimal("100000"), Decimal("8"), 12)
    salary = Decimal("100000")
    at_half = profile(80, monthly_salary=salary, current_emis=salary / 2 - emi)
    assert decide(at_half, request()).approved
    over = profile(80, monthly_salary=salary, current_emis=salary / 2 - emi + Decimal("0.01"))
    decision = decide(over, request())
    assert not decision.approved
    [reason] = decision.reasons
    assert reason.rule == "affordability"
    assert "50,000.00" in reason.message and f"{emi:,.2f}" in reason.message


def test_affordability_uses_the_corrected_rate():
    # At 8 % the EMI fits; at the slab minimum of 16 % it does not.
    emi_8 = monthly_installment(Decimal("1000000"), Decimal("8"), 12)
    emi_16 = monthly_installment(Decimal("1000000"), Decimal("16"), 12)
    salary = emi_8 + emi_16  # half of it lies between the two EMIs
    decision = decide(profile(20, monthly_salary=salary), request("1000000", "8"))
    assert {r.rule for r in decision.reasons} == {"interest_rate", "affordability"}
    assert decision.monthly_installment == emi_16


def test_credit_limit_allows_equal_and_declines_above():
    assert decide(profile(80, approved_limit=Decimal("100000")), request()).approved
    decision = decide(
        profile(80, approved_limit=Decimal("150000"), current_debt=Decimal("50000.01")), request()
    )
    assert [r.rule for r in decision.reasons] == ["credit_limit"]
    assert "50,000.01" in decision.message and "150,000.00" in decision.message


def test_every_failed_rule_is_named():
    decision = decide(
        profile(
            40,
            monthly_salary=Decimal("1000"),
            approved_limit=Decimal("1000"),
            current_debt=Decimal("500"),
        ),
        request(rate="5"),
    )
    assert [r.rule for r in decision.reasons] == ["interest_rate", "affordability", "credit_limit"]
    assert decision.message.startswith("Loan not approved: ")
