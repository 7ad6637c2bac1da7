"""The decision log: decide on a request, add the counter-offer, and record it (loan_decisions).

A decision is evaluated from the customer's credit report (one query on the two views), and the
row written holds every number that decided it. check_eligibility writes its row on its own;
loans.create_loan evaluates and records inside its transaction, with the customer's row locked.
Both are plain functions: a caller may run them inside an outer transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache

import pgtrigger
from django.db import connection, transaction
from django.db.models.functions import Now

from core import metrics
from core.models import DecisionKind, LoanDecision
from core.services import credit_score
from core.services.compiled import ANY_ID, CompiledQuery, compile_query, from_row
from core.services.credit_score import CreditReport
from core.services.eligibility import (
    POLICY_VERSION,
    Decision,
    LoanRequest,
    decide,
    require_payable_installment,
    slab_for,
)
from core.services.errors import CustomerNotFound, DecisionNotFound
from core.services.offers import CounterOffer, OfferAnswer, OfferOption, counter_offer
from core.sqlfiles import read_sql
from core.statements import fetch_one

# The append-only guard on loan_decisions; prune_decisions alone passes it.
APPEND_ONLY_GUARD = "core.LoanDecision:loan_decisions_append_only"
# The kind label of the decision counters (core.metrics) for each kind of row.
METRIC_KINDS = {
    DecisionKind.CHECK: metrics.KIND_CHECK_ELIGIBILITY,
    DecisionKind.CREATE: metrics.KIND_CREATE_LOAN,
}


@dataclass(frozen=True)
class Evaluation:
    """A decided request with the report it was decided on and its counter-offer."""

    report: CreditReport
    decision: Decision
    offer: OfferAnswer

    @property
    def message(self) -> str:
        note = self.offer.note
        if note is None:
            return self.decision.message
        return f"{self.decision.message} {note[0].upper()}{note[1:]}."


@dataclass(frozen=True)
class DecisionOutcome:
    """A recorded decision as the API answers it."""

    decision_id: int
    decided_at: dt.datetime
    kind: str
    decision: Decision
    offer: CounterOffer | None
    message: str
    loan_id: int | None


def evaluate(request: LoanRequest) -> Evaluation:
    """Decide on the request against the customer's current report (read-only).

    An unknown customer is CustomerNotFound; a request no loan can be made of is
    InstallmentRoundsToZero (both endpoints, before anything is written)."""
    report = credit_score.get_credit_report(request.customer_id)
    if report is None:
        raise CustomerNotFound(request.customer_id)
    require_payable_installment(request)
    decision = decide(report.profile, request)
    return Evaluation(
        report=report, decision=decision, offer=counter_offer(report.profile, decision)
    )


def _option_columns(option: OfferOption | None) -> tuple:
    if option is None:
        return None, None, None
    return option.loan_amount, option.tenure, option.monthly_installment


def record(
    kind: DecisionKind,
    evaluation: Evaluation,
    *,
    loan_id: int | None = None,
    request_id: str | None = None,
    api_key_name: str | None = None,
    asynchronous_commit: bool = False,
) -> DecisionOutcome:
    """Append the decision's row (in the caller's transaction, if any) and return the answer.

    One statement, one round trip. With asynchronous_commit (only outside any transaction) the
    insert is its own transaction and commits without waiting for the WAL flush.
    """
    report, decision, offer = evaluation.report, evaluation.decision, evaluation.offer.offer
    amount, _, amount_emi = _option_columns(offer.largest_amount if offer else None)
    _, tenure, tenure_emi = _option_columns(offer.shortest_tenure if offer else None)
    message = evaluation.message
    params = {
        "kind": str(kind),
        "customer_id": decision.customer_id,
        "loan_amount": decision.loan_amount,
        "interest_rate": decision.interest_rate,
        "tenure": decision.tenure,
        "credit_score": decision.credit_score,
        "repayment_points": report.components.repayment_points,
        "history_points": report.components.history_points,
        "activity_points": report.components.activity_points,
        "volume_points": report.components.volume_points,
        "slab": slab_for(decision.credit_score).label,
        "corrected_interest_rate": decision.corrected_interest_rate,
        "monthly_installment": decision.monthly_installment,
        "current_emis": report.features.current_emis,
        "monthly_salary": report.features.monthly_salary,
        "current_debt": report.features.current_debt,
        "approved_limit": report.features.approved_limit,
        "approved": decision.approved,
        "reasons": json.dumps([{"rule": r.rule, "message": r.message} for r in decision.reasons]),
        "message": message,
        "offer_interest_rate": offer.interest_rate if offer else None,
        "offer_loan_amount": amount,
        "offer_monthly_installment": amount_emi,
        "offer_tenure": tenure,
        "offer_tenure_monthly_installment": tenure_emi,
        "loan_id": loan_id,
        "request_id": request_id,
        "api_key_name": api_key_name,
        "policy_version": POLICY_VERSION,
    }
    before = ""
    if asynchronous_commit:
        if connection.in_atomic_block:
            raise ValueError("an asynchronous commit needs the insert to be its own transaction")
        # Two statements in one query string run as one implicit transaction: SET LOCAL
        # applies to it alone.
        before = read_sql("sql/queries/asynchronous_commit.sql")
    insert = read_sql("sql/queries/insert_decision.sql")
    decision_id, decided_at = fetch_one(insert, params, before=before)
    metrics.record_decision(  # counted when the row commits
        METRIC_KINDS[kind],
        approved=decision.approved,
        failed_rules=[reason.rule for reason in decision.reasons],
    )
    return DecisionOutcome(
        decision_id=decision_id,
        decided_at=decided_at,
        kind=kind,
        decision=decision,
        offer=offer,
        message=message,
        loan_id=loan_id,
    )


def check_eligibility(
    request: LoanRequest, *, request_id: str | None = None, api_key_name: str | None = None
) -> DecisionOutcome:
    """Decide on a request without making a loan, and record the decision (kind check).

    Called on its own, the row is committed asynchronously (sql/queries/asynchronous_commit.sql):
    a check moves no money, and waiting for the WAL flush would cost each request more than the
    decision itself. A crash may lose the last fraction of a second of check rows. Inside a
    caller's transaction the row simply commits with it.
    """
    evaluation = evaluate(request)
    return record(
        DecisionKind.CHECK,
        evaluation,
        request_id=request_id,
        api_key_name=api_key_name,
        asynchronous_commit=not connection.in_atomic_block,
    )


# --- reading the log back ----------------------------------------------------------------------


def stored_offer(row: LoanDecision) -> CounterOffer | None:
    """The counter-offer of a stored row, shaped as the API answered it."""
    if row.offer_interest_rate is None:
        return None
    largest = shortest = None
    if row.offer_loan_amount is not None:
        largest = OfferOption(
            row.offer_loan_amount, row.offer_interest_rate, row.tenure,
            row.offer_monthly_installment,
        )  # fmt: skip
    if row.offer_tenure is not None:
        shortest = OfferOption(
            row.loan_amount, row.offer_interest_rate, row.offer_tenure,
            row.offer_tenure_monthly_installment,
        )  # fmt: skip
    return CounterOffer(row.offer_interest_rate, largest, shortest)


@cache
def decision_query() -> CompiledQuery:
    """get_decision's query as the ORM writes it (the row's columns in field order), compiled
    once per process (compiled.py)."""
    return compile_query(LoanDecision.objects.filter(pk=ANY_ID).order_by("pk")[:1].query)


def get_decision(decision_id: int) -> LoanDecision:
    """The decision as stored (one query), its columns converted as the ORM converts them."""
    row = decision_query().fetch_one(decision_id)
    if row is None:
        raise DecisionNotFound(decision_id)
    return from_row(LoanDecision, row)


# --- retention ---------------------------------------------------------------------------------


def prune_decisions(older_than_days: int, *, dry_run: bool = False) -> int:
    """Delete the decisions made more than older_than_days days ago; returns how many.

    The one path past the append-only guard. With dry_run, only counts them."""
    if older_than_days < 1:
        raise ValueError("older_than_days must be at least 1")
    old = LoanDecision.objects.filter(decided_at__lt=Now() - dt.timedelta(days=older_than_days))
    if dry_run:
        return old.count()
    with transaction.atomic(), pgtrigger.ignore(APPEND_ONLY_GUARD):
        deleted, _ = old.delete()
    return deleted
