"""The loan ledger: recording a payment (make-payment) and a loan's statement.

A payment settles the next unpaid installment under the customer's row lock (the lock
create-loan takes), so payments and loan decisions of one customer run one after another and
each installment is settled exactly once (repayments_loan_installment_unique guards it too).
The arithmetic is core/services/emi.py; the schedule shown is sql/loan_ledger_v1.sql.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Least

from core import metrics
from core.dbfunctions import CreditToday, LoanEndDate, LoanRepaymentsLeft
from core.models import Customer, Loan, Repayment
from core.services.emi import settle_installment
from core.services.errors import CustomerNotFound, LoanClosed, LoanNotFound, PaymentDateRefused
from core.services.loans import lock_customer
from core.sqlfiles import read_sql

# Every status loan_schedule() gives an installment (sql/loan_ledger_v1.sql).
STATUSES = ("paid_on_time", "paid_late", "overdue", "due", "upcoming")


@dataclass(frozen=True)
class PaymentResult:
    repayment_id: int
    customer_id: int
    loan_id: int
    paid_on: dt.date
    amount: Decimal
    installment_number: int
    on_time: bool
    interest: Decimal
    principal: Decimal
    balance: Decimal
    monthly_installment: Decimal
    repayments_left: int
    loan_closed: bool


def _loan_of(customer_id: int, loan_id: int, *, for_update: bool = False):
    queryset = Loan.objects.filter(pk=loan_id, customer_id=customer_id).annotate(
        today=CreditToday(), repayments_left=LoanRepaymentsLeft()
    )
    if for_update:
        queryset = queryset.select_for_update()
    loan = queryset.first()
    if loan is None:
        if not for_update and not Customer.objects.filter(pk=customer_id).exists():
            raise CustomerNotFound(customer_id)
        raise LoanNotFound(loan_id)
    return loan


def _opening_position(loan: Loan) -> tuple[int, Decimal, Decimal]:
    """(installments settled, balance, EMI in force) of a loan before its first payment.

    A loan made here starts from its whole amount at its own EMI. A loan loaded from the
    spreadsheet starts where the standard schedule of its terms stands after the installments
    due before today, at that schedule's EMI (the file's monthly payment does not amortize it).
    """
    if loan.source_loan_id is None:
        return 0, loan.loan_amount, loan.monthly_installment
    with connection.cursor() as cursor:
        cursor.execute(read_sql("sql/queries/ledger/opening_position.sql"), {"loan_id": loan.pk})
        settled, balance, emi = cursor.fetchone()
    return settled, loan.loan_amount if balance is None else balance, emi


def make_payment(
    customer_id: int,
    loan_id: int,
    amount: Decimal,
    paid_on: dt.date | None = None,
    request_id: str | None = None,
) -> PaymentResult:
    """Record a payment of `amount` on `paid_on` (default today) against the next unpaid
    installment of the customer's loan, and update the loan (EMI, on-time count, payoff)."""
    with transaction.atomic():
        lock_customer(customer_id)
        loan = _loan_of(customer_id, loan_id, for_update=True)
        if not loan.is_active:
            raise LoanClosed(loan_id)
        paid_on = paid_on or loan.today
        if paid_on > loan.today:
            raise PaymentDateRefused(f"paid_on {paid_on} is in the future (today {loan.today}).")
        if paid_on < loan.start_date:
            raise PaymentDateRefused(
                f"paid_on {paid_on} is before the loan's start {loan.start_date}."
            )
        last = (
            Repayment.objects.filter(loan_id=loan_id)
            .order_by("-installment_number")
            .only("installment_number", "balance_after", "paid_on")
            .first()
        )
        if last is not None:
            if paid_on < last.paid_on:
                raise PaymentDateRefused(
                    f"paid_on {paid_on} is before the loan's last recorded payment"
                    f" of {last.paid_on}."
                )
            settled, balance, emi = last.installment_number, last.balance_after, None
        else:
            settled, balance, emi = _opening_position(loan)
        emi = emi or loan.monthly_installment
        number = settled + 1
        if number > loan.tenure or balance <= 0:
            raise LoanClosed(loan_id)
        settlement = settle_installment(
            balance, loan.interest_rate, emi, number, loan.tenure, amount
        )
        due_date = (
            Loan.objects.filter(pk=loan_id)
            .values_list(LoanEndDate(F("start_date"), number), flat=True)
            .get()
        )
        on_time = paid_on <= due_date and settlement.paid_in_full
        repayment = Repayment.objects.create(
            loan_id=loan_id,
            installment_number=number,
            paid_on=paid_on,
            amount=amount,
            installment_due=settlement.installment.amount,
            interest=settlement.interest,
            principal=settlement.principal,
            balance_after=settlement.balance_after,
            emi_before=emi,
            emi_after=settlement.monthly_installment,
            on_time=on_time,
            request_id=request_id,
        )
        changes = {}
        if settlement.monthly_installment != loan.monthly_installment:
            changes["monthly_installment"] = settlement.monthly_installment
        if on_time:
            changes["emis_paid_on_time"] = Least(F("emis_paid_on_time") + 1, F("tenure"))
        if settlement.paid_off:
            # The loans UPDATE trigger lowers the customer's current_debt by loan_amount.
            changes["is_active"] = False
        if changes:
            Loan.objects.filter(pk=loan_id).update(**changes)
        metrics.record_payment(
            metrics.PAYMENT_PAID_OFF
            if settlement.paid_off
            else metrics.PAYMENT_ON_TIME
            if on_time
            else metrics.PAYMENT_LATE
        )
    return PaymentResult(
        repayment_id=repayment.repayment_id,
        customer_id=customer_id,
        loan_id=loan_id,
        paid_on=paid_on,
        amount=amount,
        installment_number=number,
        on_time=on_time,
        interest=settlement.interest,
        principal=settlement.principal,
        balance=settlement.balance_after,
        monthly_installment=settlement.monthly_installment,
        repayments_left=0 if settlement.paid_off else loan.tenure - number,
        loan_closed=settlement.paid_off,
    )


@dataclass(frozen=True)
class Statement:
    customer_id: int
    loan_id: int
    principal: Decimal
    interest_rate: Decimal
    tenure: int
    amount_paid: Decimal
    monthly_installment: Decimal
    repayments_left: int
    balance: Decimal
    next_due_date: dt.date | None
    payoff_amount: Decimal
    loan_closed: bool
    # Every installment, as JSON text built by PostgreSQL (a JSON array of objects with keys
    # installment_number, due_date, amount, interest, principal, balance, status, paid_on,
    # amount_paid): up to 600 lines, never taken apart in Python.
    installments_json: str


def get_statement(customer_id: int, loan_id: int) -> Statement:
    """The loan's statement as of today: totals and every installment (loan_schedule)."""
    loan = _loan_of(customer_id, loan_id)
    with connection.cursor() as cursor:
        cursor.execute(read_sql("sql/queries/ledger/statement.sql"), {"loan_id": loan_id})
        lines, amount_paid, balance, next_due_date, payoff_amount = cursor.fetchone()
    return Statement(
        customer_id=customer_id,
        loan_id=loan_id,
        principal=loan.loan_amount,
        interest_rate=loan.interest_rate,
        tenure=loan.tenure,
        amount_paid=amount_paid,
        monthly_installment=loan.monthly_installment,
        repayments_left=loan.repayments_left,
        balance=loan.loan_amount if balance is None else balance,
        next_due_date=next_due_date if loan.is_active else None,
        payoff_amount=payoff_amount if loan.is_active and payoff_amount else Decimal("0.00"),
        loan_closed=not loan.is_active,
        installments_json=lines,
    )
