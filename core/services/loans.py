"""Loan creation under the customer's row lock, loan look-ups, and the maturity sweep."""

from __future__ import annotations

from functools import cache

from django.db import connection, transaction

from core.dbfunctions import CreditToday, LoanEndDate, LoanIsActive, LoanRepaymentsLeft
from core.models import Customer, DecisionKind, Loan
from core.services import decisions
from core.services.compiled import ANY_ID, CompiledQuery, compile_query, from_row, width
from core.services.decisions import DecisionOutcome
from core.services.eligibility import LoanRequest
from core.services.errors import CustomerNotFound, LoanNotFound
from core.sqlfiles import read_sql


def lock_customer(customer_id: int) -> None:
    """Lock the customer's row until the transaction ends (sql/queries/lock_customer.sql).

    Every write that decides from a customer's loans takes it first (create-loan, make-payment),
    so such writes for one customer run one after another. Call inside transaction.atomic().
    """
    with connection.cursor() as cursor:
        cursor.execute(read_sql("sql/queries/lock_customer.sql"), {"customer_id": customer_id})
        if cursor.fetchone() is None:
            raise CustomerNotFound(customer_id)


def create_loan(
    request: LoanRequest, *, request_id: str | None = None, api_key_name: str | None = None
) -> DecisionOutcome:
    """Decide and, when approved, store the loan; record the decision; all in one transaction.

    The customer's row is locked (lock_customer) before the decision reads the customer's
    debt and EMIs, so concurrent requests for one customer are decided one after another and
    can never jointly break the affordability or credit-limit rule. The decision row is written
    in the same transaction as the loan: a create that rolls back leaves neither.
    """
    with transaction.atomic():
        lock_customer(request.customer_id)
        evaluation = decisions.evaluate(request)
        decision = evaluation.decision
        loan_id = None
        if decision.approved:
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
            loan_id = loan.loan_id
        return decisions.record(
            DecisionKind.CREATE,
            evaluation,
            loan_id=loan_id,
            request_id=request_id,
            api_key_name=api_key_name,
        )


@cache
def compiled_queries() -> dict[str, CompiledQuery]:
    """get_loan's and active_loans_of's queries, compiled once per process (compiled.py)."""
    loan = Loan.objects.select_related("customer").filter(pk=ANY_ID).order_by("pk")[:1]
    active = (
        Loan.objects.filter(customer_id=ANY_ID, is_active=True)
        .order_by("loan_id")
        .annotate(repayments_left=LoanRepaymentsLeft())
    )
    return {
        "loan": compile_query(loan.query),  # the loan's columns, then its customer's
        "customer_exists": compile_query(Customer.objects.filter(pk=ANY_ID).query.exists()),
        "active_loans": compile_query(active.query),  # the loan's columns, then repayments_left
    }


def get_loan(loan_id: int) -> Loan:
    """The loan with its customer (one query)."""
    row = compiled_queries()["loan"].fetch_one(loan_id)
    if row is None:
        raise LoanNotFound(loan_id)
    split = width(Loan)
    loan = from_row(Loan, row[:split])
    loan.customer = from_row(Customer, row[split:])
    return loan


def active_loans_of(customer_id: int) -> list[Loan]:
    """The customer's active loans in loan_id order, each with repayments_left (installments
    not yet settled: sql/loan_ledger_v1.sql loan_repayments_left)."""
    queries = compiled_queries()
    if queries["customer_exists"].fetch_one(customer_id) is None:
        raise CustomerNotFound(customer_id)
    loans = []
    for row in queries["active_loans"].fetch_all(customer_id):
        loan = from_row(Loan, row[:-1])
        loan.repayments_left = row[-1]
        loans.append(loan)
    return loans


def close_matured_loans() -> int:
    """Mark inactive every active loan whose end_date has come; the triggers lower the debt."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(read_sql("sql/queries/close_matured_loans.sql"))
        return cursor.rowcount
