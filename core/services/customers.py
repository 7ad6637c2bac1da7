"""Customer registration and the approved-limit rule."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction

from core.models import Customer
from core.services.errors import PhoneAlreadyRegistered

LAKH = Decimal("100000")
LIMIT_SALARY_MULTIPLE = 36
# The largest value a numeric(14,2) money column holds.
MAX_MONEY = Decimal("999999999999.99")
# The largest monthly income whose approved limit still fits a money column (tested).
MAX_MONTHLY_INCOME = Decimal("27777776388.88")


def approved_limit_for(monthly_income: Decimal) -> Decimal:
    """36 × monthly income rounded to the nearest lakh, halves up (36 × 62,500 → 23,00,000)."""
    lakhs = (LIMIT_SALARY_MULTIPLE * monthly_income / LAKH).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    return (lakhs * LAKH).quantize(Decimal("0.01"))


PHONE_UNIQUE_CONSTRAINT = "customers_phone_number_unique"


def _violated_constraint(exc: IntegrityError) -> str | None:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)


@dataclass(frozen=True)
class NewCustomer:
    first_name: str
    last_name: str
    age: int
    monthly_income: Decimal
    phone_number: str


def register_customer(data: NewCustomer) -> Customer:
    """Store a new customer with the approved limit the rule gives.

    Raises PhoneAlreadyRegistered when the phone number is taken (decided by the database's
    unique constraint, so two concurrent registrations cannot both succeed).
    """
    customer = Customer(
        first_name=data.first_name,
        last_name=data.last_name,
        age=data.age,
        monthly_salary=data.monthly_income,
        approved_limit=approved_limit_for(data.monthly_income),
        phone_number=data.phone_number,
    )
    try:
        with transaction.atomic():
            customer.save(force_insert=True)
    except IntegrityError as exc:
        if _violated_constraint(exc) == PHONE_UNIQUE_CONSTRAINT:
            raise PhoneAlreadyRegistered() from exc
        raise
    return customer
