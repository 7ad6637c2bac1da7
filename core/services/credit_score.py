"""Reads a customer's credit facts and score from the SQL views.

The formula lives only in sql/customer_credit_scores_v1.sql; this module never recomputes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.models import CustomerCreditScore


@dataclass(frozen=True)
class CreditProfile:
    """What a loan decision needs to know about a customer, as of credit_today()."""

    customer_id: int
    credit_score: int
    current_debt: Decimal
    current_emis: Decimal
    approved_limit: Decimal
    monthly_salary: Decimal


def get_credit_profile(customer_id: int) -> CreditProfile | None:
    """The customer's profile, or None when the customer does not exist (one query)."""
    row = (
        CustomerCreditScore.objects.filter(pk=customer_id)
        .values(
            "credit_score",
            "features__current_debt",
            "features__current_emis",
            "features__approved_limit",
            "features__monthly_salary",
        )
        .first()
    )
    if row is None:
        return None
    return CreditProfile(
        customer_id=customer_id,
        credit_score=row["credit_score"],
        current_debt=row["features__current_debt"],
        current_emis=row["features__current_emis"],
        approved_limit=row["features__approved_limit"],
        monthly_salary=row["features__monthly_salary"],
    )
