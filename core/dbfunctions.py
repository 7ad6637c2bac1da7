"""Django expressions for the SQL functions of sql/ (credit_today, loan calendar, active)."""

from __future__ import annotations

from django.db.models import BooleanField, DateField, F, Func, IntegerField, Value


class CreditToday(Func):
    """credit_today(): today's date in DJANGO_TIME_ZONE, as SQL sees it."""

    function = "credit_today"
    arity = 0
    output_field = DateField()


class LoanEndDate(Func):
    """loan_end_date(start, months): start + months calendar months, month-end clamped."""

    function = "loan_end_date"
    arity = 2
    output_field = DateField()

    def __init__(self, start, months: int, **extra):
        super().__init__(start, Value(months, output_field=IntegerField()), **extra)


class LoanIsActive(Func):
    """loan_is_active(end_date): end_date > credit_today(), the one rule for an active loan."""

    function = "loan_is_active"
    arity = 1
    output_field = BooleanField()


class LoanInstallmentsDue(Func):
    """loan_installments_due(start, tenure, as_of): installments fallen due by as_of."""

    function = "loan_installments_due"
    arity = 3
    output_field = IntegerField()


class LoanRepaymentsLeft(Func):
    """loan_repayments_left(...) of the loan row in the query: installments not yet settled,
    as of credit_today() (sql/loan_ledger_v1.sql)."""

    function = "loan_repayments_left"
    arity = 5
    output_field = IntegerField()

    def __init__(self, **extra):
        super().__init__(
            F("loan_id"), F("source_loan_id"), F("start_date"), F("tenure"), CreditToday(), **extra
        )
