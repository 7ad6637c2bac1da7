"""The loan decision: slab by credit score, affordability, credit limit (README, "Credit score
and decision rules").

`decide` is pure: it takes a customer's credit profile and a request and returns a typed
decision that names every rule that failed, with the numbers behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.services import credit_score
from core.services.credit_score import CreditProfile, CreditReport
from core.services.emi import CENT, monthly_installment
from core.services.errors import CustomerNotFound, InstallmentRoundsToZero

# Share of the monthly salary that all EMIs together may take (equal is allowed).
MAX_EMI_SHARE_OF_SALARY = Decimal("0.5")
# The rules a decision can fail, in the order they are checked: Reason.rule is one of these.
RULE_CODES = ("credit_score", "interest_rate", "affordability", "credit_limit")


@dataclass(frozen=True)
class LoanRequest:
    customer_id: int
    loan_amount: Decimal
    interest_rate: Decimal
    tenure: int


@dataclass(frozen=True)
class Slab:
    """Scores from min_score up (to the next slab) need at least min_rate; None = no loans."""

    min_score: int
    label: str
    min_rate: Decimal | None


# Highest first. A score > 50 gets any rate; 30-50 needs 12 %; 10-29 needs 16 %; < 10 declined.
SLABS: tuple[Slab, ...] = (
    Slab(min_score=51, label="above 50", min_rate=Decimal("0")),
    Slab(min_score=30, label="30-50", min_rate=Decimal("12")),
    Slab(min_score=10, label="10-29", min_rate=Decimal("16")),
    Slab(min_score=-1, label="below 10", min_rate=None),
)


# The name of the rule set above, stored in every decision row (loan_decisions.policy_version)
# so that old rows keep saying which rules decided them. It names the score formula's view
# versions (sql/customer_credit_features_vN.sql, sql/customer_credit_scores_vN.sql), the slab
# table (SLABS) and the share of salary (MAX_EMI_SHARE_OF_SALARY). Change any of them and bump
# the matching part here; tests/test_decision_log.py holds the rule set each name stands for
# and fails until you do.
POLICY_VERSION = "features-v2.scores-v2.slabs-v1.emi-share-50"


def slab_for(score: int) -> Slab:
    return next(slab for slab in SLABS if score >= slab.min_score)


@dataclass(frozen=True)
class Reason:
    """One failed rule: a stable code for programs and a sentence with the numbers for people."""

    rule: str
    message: str

    def __post_init__(self) -> None:
        if self.rule not in RULE_CODES:
            raise ValueError(f"unknown rule code {self.rule!r}")


@dataclass(frozen=True)
class Decision:
    customer_id: int
    approved: bool
    credit_score: int
    interest_rate: Decimal
    corrected_interest_rate: Decimal
    tenure: int
    loan_amount: Decimal
    monthly_installment: Decimal
    reasons: tuple[Reason, ...]

    @property
    def message(self) -> str:
        if self.approved:
            return "Loan approved."
        return "Loan not approved: " + "; ".join(reason.message for reason in self.reasons) + "."


def format_money(value: Decimal) -> str:
    return f"{value:,.2f}"


def format_rate(value: Decimal) -> str:
    return f"{value.normalize():f}%"


def decide(profile: CreditProfile, request: LoanRequest) -> Decision:
    """Apply the decision rules to one request. Pure: no I/O."""
    score = profile.credit_score
    slab = slab_for(score)
    reasons: list[Reason] = []

    corrected_rate = request.interest_rate
    if slab.min_rate is None:
        reasons.append(
            Reason("credit_score", f"credit score {score} is below 10, so no loan is offered")
        )
    elif request.interest_rate < slab.min_rate:
        corrected_rate = slab.min_rate
        reasons.append(
            Reason(
                "interest_rate",
                f"interest rate {format_rate(request.interest_rate)} is below "
                f"{format_rate(slab.min_rate)}, "
                f"the minimum for credit score {score} (slab {slab.label}); "
                f"the offer is {format_rate(slab.min_rate)}",
            )
        )

    emi = monthly_installment(request.loan_amount, corrected_rate, request.tenure)
    total_emis = profile.current_emis + emi
    emi_ceiling = profile.monthly_salary * MAX_EMI_SHARE_OF_SALARY
    if total_emis > emi_ceiling:
        share = (total_emis / profile.monthly_salary * 100).quantize(Decimal("0.1"))
        reasons.append(
            Reason(
                "affordability",
                f"EMIs would take {share}% of the monthly salary: current EMIs "
                f"{format_money(profile.current_emis)} + this loan's {format_money(emi)} = "
                f"{format_money(total_emis)}, above {MAX_EMI_SHARE_OF_SALARY:.0%} of "
                f"{format_money(profile.monthly_salary)} = {format_money(emi_ceiling)}",
            )
        )

    total_debt = profile.current_debt + request.loan_amount
    if total_debt > profile.approved_limit:
        reasons.append(
            Reason(
                "credit_limit",
                f"current debt {format_money(profile.current_debt)} + this loan "
                f"{format_money(request.loan_amount)} = {format_money(total_debt)} exceeds the "
                f"approved limit {format_money(profile.approved_limit)}",
            )
        )

    return Decision(
        customer_id=request.customer_id,
        approved=not reasons,
        credit_score=score,
        interest_rate=request.interest_rate,
        corrected_interest_rate=corrected_rate,
        tenure=request.tenure,
        loan_amount=request.loan_amount,
        monthly_installment=emi,
        reasons=tuple(reasons),
    )


# The smallest installment a loan can have: a loan repaid in installments of 0.00 never is.
MIN_MONTHLY_INSTALLMENT = CENT


def require_payable_installment(request: LoanRequest) -> None:
    """Refuse a request whose installment, at the rate asked for, rounds below one cent
    (e.g. 2.99 at 0 % over 600 months). A corrected (higher) rate only raises it, so a request
    that passes here never yields an installment of 0.00."""
    emi = monthly_installment(request.loan_amount, request.interest_rate, request.tenure)
    if emi < MIN_MONTHLY_INSTALLMENT:
        raise InstallmentRoundsToZero()


@dataclass(frozen=True)
class ScoreExplanation:
    """A customer's score with its parts and inputs (from the views) and the slab it falls in."""

    report: CreditReport
    slab: Slab


def explain_score(customer_id: int) -> ScoreExplanation:
    """What the customer's credit score is made of, read from the two views (one query)."""
    report = credit_score.get_credit_report(customer_id)
    if report is None:
        raise CustomerNotFound(customer_id)
    return ScoreExplanation(report=report, slab=slab_for(report.credit_score))
