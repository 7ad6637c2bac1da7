"""Customer registration and the approved-limit rule."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection

from core.models import Customer
from core.services.errors import PhoneAlreadyRegistered
from core.sqlfiles import read_sql

LAKH = Decimal("100000")
LIMIT_SALARY_MULTIPLE = 36
# The largest monthly income whose approved limit still fits a money column (tested).
MAX_MONTHLY_INCOME = Decimal("27777776388.88")


def approved_limit_for(monthly_income: Decimal) -> Decimal:
    """36 × monthly income rounded to the nearest lakh, halves up (36 × 62,500 → 23,00,000)."""
    lakhs = (LIMIT_SALARY_MULTIPLE * monthly_income / LAKH).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    return (lakhs * LAKH).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class NewCustomer:
    first_name: str
    last_name: str
    age: int
    monthly_income: Decimal
    phone_number: str


def register_customer(data: NewCustomer) -> Customer:
    """Store a new customer with the approved limit the rule gives; its id comes from the
    identity sequence (from 1,000,000,000 on, above every id a file may bring).

    Raises PhoneAlreadyRegistered when the phone number is taken. The database decides, in
    one statement (sql/queries/register_customer.sql: INSERT ... ON CONFLICT DO NOTHING), so
    two concurrent registrations of one phone cannot both succeed, and a taken phone raises no
    unique violation that PostgreSQL would log with the phone number.
    """
    values = {
        "first_name": data.first_name,
        "last_name": data.last_name,
        "phone_number": data.phone_number,
        "age": data.age,
        "monthly_salary": data.monthly_income,
        "approved_limit": approved_limit_for(data.monthly_income),
    }
    with connection.cursor() as cursor:
        cursor.execute(read_sql("sql/queries/register_customer.sql"), values)
        row = cursor.fetchone()
        columns = [column.name for column in cursor.description]
    if row is None:
        raise PhoneAlreadyRegistered()
    return Customer.from_db(connection.alias, columns, row)
