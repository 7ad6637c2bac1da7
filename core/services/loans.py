"""Loan creation under the customer's row lock, loan look-ups, and the maturity sweep."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F, QuerySet

from core.dbfunctions import CreditToday, LoanEndDate, LoanInstallmentsDue, LoanIsActive
from core.models import Customer, Loan
from core.services.eligibility import Decision, LoanRequest, check_eligibility
from core.services.errors import CustomerNotFound, LoanNotFound
from core.sqlfiles import read_sql


@dataclass(frozen=True)
class LoanOutcome:
    decision: Decision
    loan_id: int | None


def create_loan(request: LoanRequest) -> LoanOutcome:
    """Decide and, when approved, store the loan, in one transaction.

    The customer's row is locked (SELECT … FOR UPDATE) before the decision reads the customer's
    debt and EMIs, so concurrent requests for one customer are decided one after another and
    can never jointly break the affordability or credit-limit rule.
    """
    with transaction.atomic():
        locked = (
            Customer.objects.select_for_update()
            .filter(pk=request.customer_id)
            .values_list("pk", flat=True)
        )
        if not locked:
            raise CustomerNotFound(request.customer_id)
        decision = check_eligibility(request)
        if not decision.approved:
            return LoanOutcome(decision=decision, loan_id=None)
        loan = Loan.objects.create(
            customer_id=request.customer_id,
            loan_amount=request.loan_amount,
            interest_rate=decision.corrected_interest_rate,
            tenure=request.tenure,
            monthly_installment=decision.monthly_installment,
            emis_paid_on_time=0,
            start_date=CreditToday(),
            end_date=LoanEndDate(CreditToday(), request.tenure),
            is_active=LoanIsActive(LoanEndDate(CreditToday(), request.tenure)),
        )
    return LoanOutcome(decision=decision, loan_id=loan.loan_id)


def get_loan(loan_id: int) -> Loan:
    """The loan with its customer (one query)."""
    loan = Loan.objects.select_related("customer").filter(pk=loan_id).first()
    if loan is None:
        raise LoanNotFound(loan_id)
    return loan


def active_loans_of(customer_id: int) -> QuerySet[Loan]:
    """The customer's active loans in loan_id order, each with repayments_left."""
    if not Customer.objects.filter(pk=customer_id).exists():
        raise CustomerNotFound(customer_id)
    return (
        Loan.objects.filter(customer_id=customer_id, is_active=True)
        .order_by("loan_id")
        .annotate(
            repayments_left=F("tenure")
            - LoanInstallmentsDue(F("start_date"), F("tenure"), CreditToday())
        )
    )


def close_matured_loans() -> int:
    """Mark inactive every active loan whose end_date has come; the triggers lower the debt."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(read_sql("sql/queries/close_matured_loans.sql"))
        return cursor.rowcount
