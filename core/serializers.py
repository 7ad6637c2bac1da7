"""Request parsing and response shapes of the HTTP API (README, "API endpoints").

Input types are strict: ids, ages and tenures are JSON integers; money and rates are JSON
numbers (parsed as Decimal, at most 2 decimals and 12 integer digits); the phone number is an
integer or a string of digits.
"""

from __future__ import annotations

import re
from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.models import (
    MAX_AGE,
    MAX_RATE,
    MAX_TENURE_MONTHS,
    MIN_AGE,
    MIN_RATE,
    NAME_MAX_LENGTH,
    PHONE_PATTERN,
)
from core.services.customers import MAX_MONTHLY_INCOME, NewCustomer
from core.services.eligibility import RULE_CODES, LoanRequest

MAX_ID = 2**63 - 1
_PHONE_RE = re.compile(PHONE_PATTERN)


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer: no strings, booleans or fractions."""

    default_error_messages = {"invalid": "A JSON integer is required."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """A JSON string: numbers and booleans are not silently turned into text."""

    default_error_messages = {"invalid": "A JSON string is required."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class NumberField(serializers.DecimalField):
    """A JSON number kept as Decimal: no strings, booleans, NaN or Infinity."""

    default_error_messages = {"not_a_number": "A JSON number is required."}

    def __init__(self, **kwargs):
        kwargs.setdefault("coerce_to_string", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, Decimal)):
            self.fail("not_a_number")
        if isinstance(data, Decimal) and data.is_finite() and data.as_tuple().exponent < 0:
            # 12.500 has two decimals: drop trailing zeros before the precision check.
            normalized = data.normalize()
            data = normalized if normalized.as_tuple().exponent <= 0 else data
        return super().to_internal_value(data)


def money_field(**kwargs) -> NumberField:
    return NumberField(max_digits=14, decimal_places=2, **kwargs)


def rate_field(**kwargs) -> NumberField:
    return NumberField(
        max_digits=5, decimal_places=2, min_value=MIN_RATE, max_value=MAX_RATE, **kwargs
    )


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "minimum": 1_000_000_000, "maximum": 999_999_999_999_999},
            {"type": "string", "pattern": PHONE_PATTERN},
        ],
        "description": "10-15 digits, first digit not 0; an integer or a string of digits.",
    }
)
class PhoneNumberField(serializers.Field):
    default_error_messages = {
        "invalid": "A phone number is 10 to 15 digits with a non-zero first digit, "
        "given as an integer or a string of digits.",
    }

    def to_internal_value(self, data) -> str:
        if isinstance(data, bool) or not isinstance(data, (int, str)):
            self.fail("invalid")
        text = str(data)
        if not _PHONE_RE.fullmatch(text):
            self.fail("invalid")
        return text

    def to_representation(self, value) -> int:
        return int(value)


# --- Requests --------------------------------------------------------------------------------


class RegisterRequestSerializer(serializers.Serializer):
    first_name = StrictCharField(max_length=NAME_MAX_LENGTH)
    last_name = StrictCharField(max_length=NAME_MAX_LENGTH)
    age = StrictIntegerField(min_value=MIN_AGE, max_value=MAX_AGE)
    # Capped so that the approved limit (36 × income) fits a money column.
    monthly_income = money_field(min_value=Decimal("0.01"), max_value=MAX_MONTHLY_INCOME)
    phone_number = PhoneNumberField()

    def to_new_customer(self) -> NewCustomer:
        return NewCustomer(**self.validated_data)


class LoanRequestSerializer(serializers.Serializer):
    customer_id = StrictIntegerField(min_value=1, max_value=MAX_ID)
    loan_amount = money_field(min_value=Decimal("0.01"))
    interest_rate = rate_field()
    tenure = StrictIntegerField(min_value=1, max_value=MAX_TENURE_MONTHS)

    def to_loan_request(self) -> LoanRequest:
        return LoanRequest(**self.validated_data)


# --- Responses -------------------------------------------------------------------------------


class RegisterResponseSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField()
    name = serializers.SerializerMethodField()
    age = serializers.IntegerField()
    monthly_income = money_field(source="monthly_salary")
    approved_limit = money_field()
    phone_number = PhoneNumberField()

    def get_name(self, customer) -> str:
        return f"{customer.first_name} {customer.last_name}"


class ReasonSerializer(serializers.Serializer):
    rule = serializers.ChoiceField(choices=list(RULE_CODES))
    message = serializers.CharField()


class EligibilityResponseSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField()
    approval = serializers.BooleanField(source="approved")
    interest_rate = rate_field()
    corrected_interest_rate = rate_field()
    tenure = serializers.IntegerField()
    monthly_installment = NumberField(max_digits=20, decimal_places=2)
    credit_score = serializers.IntegerField()
    message = serializers.CharField()
    reasons = ReasonSerializer(many=True)


class CreateLoanResponseSerializer(serializers.Serializer):
    loan_id = serializers.IntegerField(allow_null=True)
    customer_id = serializers.IntegerField(source="decision.customer_id")
    loan_approved = serializers.BooleanField(source="decision.approved")
    message = serializers.CharField(source="decision.message")
    monthly_installment = NumberField(
        max_digits=20, decimal_places=2, source="decision.monthly_installment"
    )
    interest_rate = rate_field(source="decision.corrected_interest_rate")
    credit_score = serializers.IntegerField(source="decision.credit_score")
    reasons = ReasonSerializer(many=True, source="decision.reasons")


class LoanCustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="customer_id")
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    phone_number = PhoneNumberField()
    age = serializers.IntegerField()


class LoanDetailSerializer(serializers.Serializer):
    loan_id = serializers.IntegerField()
    customer = LoanCustomerSerializer()
    loan_amount = money_field()
    interest_rate = rate_field()
    monthly_installment = money_field()
    tenure = serializers.IntegerField()


class LoanListItemSerializer(serializers.Serializer):
    loan_id = serializers.IntegerField()
    loan_amount = money_field()
    interest_rate = rate_field()
    monthly_installment = money_field()
    repayments_left = serializers.IntegerField()


DEPENDENCY_STATES = ("ok", "down")


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "degraded"])
    database = serializers.ChoiceField(choices=DEPENDENCY_STATES)
    broker = serializers.ChoiceField(choices=DEPENDENCY_STATES)


class ErrorSerializer(serializers.Serializer):
    status = serializers.IntegerField()
    code = serializers.CharField()
    message = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )
