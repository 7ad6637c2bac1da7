"""Each rule and bound is stated once, and everything that words or checks it reads that one
statement (README "Credit score and decision rules", "Ingestion")."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core import models, serializers
from core.services import eligibility
from core.services.credit_score import CreditProfile
from core.services.eligibility import RULE_CODES, LoanRequest, Reason, decide
from core.services.ingestion.columns import CUSTOMERS, LOANS


def over_budget() -> tuple[CreditProfile, LoanRequest]:
    profile = CreditProfile(
        customer_id=1,
        credit_score=80,
        current_debt=Decimal("0"),
        current_emis=Decimal("20000"),
        approved_limit=Decimal("9000000"),
        monthly_salary=Decimal("50000"),
    )
    return profile, LoanRequest(1, Decimal("100000"), Decimal("12"), 12)


@pytest.mark.parametrize(("share", "words"), [("0.5", "above 50% of"), ("0.4", "above 40% of")])
def test_the_affordability_message_states_the_share_the_rule_uses(monkeypatch, share, words):
    monkeypatch.setattr(eligibility, "MAX_EMI_SHARE_OF_SALARY", Decimal(share))
    [reason] = [r for r in decide(*over_budget()).reasons if r.rule == "affordability"]
    assert words in reason.message


def test_a_reason_takes_only_a_listed_rule_code():
    with pytest.raises(ValueError, match="unknown rule code"):
        Reason("afordability", "typo")
    field = serializers.ReasonSerializer().fields["rule"]
    assert tuple(field.choices) == RULE_CODES


def test_models_serializers_and_ingestion_read_the_same_bounds():
    register = serializers.RegisterRequestSerializer().fields
    assert (register["age"].min_value, register["age"].max_value) == (
        models.MIN_AGE,
        models.MAX_AGE,
    )
    assert (
        register["first_name"].max_length
        == models.Customer._meta.get_field("first_name").max_length
    )
    rate = serializers.rate_field()
    assert (rate.min_value, rate.max_value) == (models.MIN_RATE, models.MAX_RATE)
    customer = {c.name: c for c in CUSTOMERS.columns}
    loan = {c.name: c for c in LOANS.columns}
    age, rate, amount = customer["age"], loan["interest_rate"], loan["loan_amount"]
    assert (age.low, age.high) == (models.MIN_AGE, models.MAX_AGE)
    assert (rate.low, rate.high) == (models.MIN_RATE, models.MAX_RATE)
    assert amount.high == models.MAX_MONEY == customer["approved_limit"].high
    assert loan["source_loan_id"].high == models.MAX_FILE_ID
    assert customer["first_name"].max_length == register["first_name"].max_length
    checks = {c.name: c.condition for c in models.Customer._meta.constraints}
    assert ("age__gte", models.MIN_AGE) in checks["customers_age_range"].children
