"""Reads a customer's credit facts and score from the SQL views.

The formula lives only in sql/customer_credit_scores_v2.sql; this module never recomputes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache, cached_property

from core.models import CustomerCreditScore
from core.services.compiled import ANY_ID, CompiledQuery, compile_query


@dataclass(frozen=True)
class CreditProfile:
    """What a loan decision needs to know about a customer, as of credit_today()."""

    customer_id: int
    credit_score: int
    current_debt: Decimal
    current_emis: Decimal
    approved_limit: Decimal
    monthly_salary: Decimal


@dataclass(frozen=True)
class CreditFeatures:
    """The facts of customer_credit_features the score is made of."""

    loans_taken: int
    loans_active: int
    emis_due: int
    emis_paid_on_time: int
    on_time_ratio: Decimal | None
    loans_this_year: int
    approved_volume: Decimal
    current_debt: Decimal
    current_emis: Decimal
    approved_limit: Decimal
    monthly_salary: Decimal


@dataclass(frozen=True)
class ScoreComponents:
    """The four points of customer_credit_scores, as the view computed them."""

    repayment_points: Decimal
    history_points: Decimal
    activity_points: Decimal
    volume_points: Decimal


@dataclass(frozen=True)
class CreditReport:
    """Everything both views say about one customer: the score, its parts and its inputs."""

    customer_id: int
    credit_score: int
    over_limit: bool
    components: ScoreComponents
    features: CreditFeatures

    @cached_property
    def profile(self) -> CreditProfile:
        return CreditProfile(
            customer_id=self.customer_id,
            credit_score=self.credit_score,
            current_debt=self.features.current_debt,
            current_emis=self.features.current_emis,
            approved_limit=self.features.approved_limit,
            monthly_salary=self.features.monthly_salary,
        )


_FEATURES = tuple(CreditFeatures.__dataclass_fields__)
_COMPONENTS = tuple(ScoreComponents.__dataclass_fields__)
_REPORT_COLUMNS = (
    "credit_score",
    "over_limit",
    *_COMPONENTS,
    *(f"features__{f}" for f in _FEATURES),
)


@cache
def report_query() -> CompiledQuery:
    """The report query as the ORM writes it (the row of customer_credit_scores joined to
    customer_credit_features, by primary key; columns in _REPORT_COLUMNS order), compiled once
    per process (compiled.py)."""
    query = CustomerCreditScore.objects.filter(pk=ANY_ID).order_by("pk").values(*_REPORT_COLUMNS)
    return compile_query(query[:1].query)


def get_credit_report(customer_id: int) -> CreditReport | None:
    """The customer's report, or None when the customer does not exist (one query)."""
    row = report_query().fetch_one(customer_id)
    if row is None:
        return None
    # The row's columns are in _REPORT_COLUMNS order: the score, over_limit, the components,
    # then the features, each group in its dataclass's field order.
    credit_score, over_limit = row[0], row[1]
    components_end = 2 + len(_COMPONENTS)
    return CreditReport(
        customer_id=customer_id,
        credit_score=credit_score,
        over_limit=over_limit,
        components=ScoreComponents(*row[2:components_end]),
        features=CreditFeatures(*row[components_end:]),
    )


def get_credit_profile(customer_id: int) -> CreditProfile | None:
    """The customer's profile, or None when the customer does not exist (one query)."""
    report = get_credit_report(customer_id)
    return None if report is None else report.profile
