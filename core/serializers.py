"""Request parsing and response shapes of the HTTP API (README, "API endpoints").

Input types are strict: ids, ages and tenures are JSON integers; money and rates are JSON
numbers (parsed as Decimal, at most 2 decimals and 12 integer digits); the phone number is an
integer or a string of digits.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from functools import cache

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import SkipField

from core.models import (
    MAX_AGE,
    MAX_RATE,
    MAX_TENURE_MONTHS,
    MIN_AGE,
    MIN_RATE,
    NAME_MAX_LENGTH,
    PHONE_PATTERN,
    DecisionKind,
)
from core.renderers import RawJSON, representation
from core.services.customers import MAX_MONTHLY_INCOME, NewCustomer
from core.services.decisions import stored_offer
from core.services.eligibility import RULE_CODES, LoanRequest
from core.services.repayments import STATUSES

MAX_ID = 2**63 - 1
_PHONE_RE = re.compile(PHONE_PATTERN)


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer: no strings, booleans or fractions."""

    default_error_messages = {"invalid": "A JSON integer is required."}

    def to_internal_value(self, data):
        # IntegerField would turn the int into text and back; the bounds are its validators.
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return data


class StrictCharField(serializers.CharField):
    """A JSON string: numbers and booleans are not silently turned into text."""

    default_error_messages = {"invalid": "A JSON string is required."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def _without_trailing_zeros(value: Decimal) -> Decimal:
    """12.500 → 12.5 and 0.000 → 0, exactly: Decimal.normalize() would round to the context's
    precision first (1.0000000000000000000000000001 → 1), so it is not used."""
    sign, digits, exponent = value.as_tuple()
    if not any(digits):
        return Decimal(0)
    while exponent < 0 and digits[-1] == 0:
        digits, exponent = digits[:-1], exponent + 1
    return Decimal((sign, digits, exponent))


class NumberField(serializers.DecimalField):
    """A JSON number kept as Decimal: no strings, booleans, NaN or Infinity; -0 is 0; never
    rounded (a value with more decimals than allowed is refused, whatever its length)."""

    default_error_messages = {
        "not_a_number": "A JSON number is required.",
        "not_finite": "NaN and Infinity are not accepted: send a finite JSON number.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("coerce_to_string", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, Decimal)):
            self.fail("not_a_number")
        if isinstance(data, Decimal):
            if not data.is_finite():
                self.fail("not_finite")
            data = _without_trailing_zeros(data)
        return super().to_internal_value(data)


# Characters with no visible form of their own: spaces, zero-width and other format characters.
_INVISIBLE_CATEGORIES = {"Zs", "Zl", "Zp", "Cf"}


@extend_schema_field(
    {
        "type": "string",
        "minLength": 1,
        "maxLength": NAME_MAX_LENGTH,
        "pattern": r"^[^\u0000-\u001f\u007f-\u009f]*$",
        "description": "Leading and trailing whitespace is removed first; what remains must be "
        f"1 to {NAME_MAX_LENGTH} characters, hold at least one visible character (not only "
        "spaces or zero-width characters) and no control characters.",
    }
)
class NameField(StrictCharField):
    """A person's name: trimmed, then at most NAME_MAX_LENGTH characters, at least one of them
    visible, none of them a control character (tab, newline, NUL, DEL, C1 controls ...)."""

    default_error_messages = {
        "control_character": "A name must not contain control characters.",
        "invisible": "A name must contain at least one visible character.",
    }

    def __init__(self, **kwargs):
        # DRF checks max_length on the trimmed value (to_internal_value trims first).
        super().__init__(max_length=NAME_MAX_LENGTH, **kwargs)

    def to_internal_value(self, data):
        name = super().to_internal_value(data)
        categories = {unicodedata.category(char) for char in name}
        if "Cc" in categories:
            self.fail("control_character")
        if categories <= _INVISIBLE_CATEGORIES:
            self.fail("invisible")
        return name


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


class RequestSerializer(serializers.Serializer):
    """A request body of flat fields, read with parse(): each field's own validation (types,
    bounds, messages) without the serializer DRF builds around it for every request. A body
    that is not an object, or that any field refuses, goes through DRF's is_valid, so the
    errors are DRF's, all of them. Subclasses declare fields only: no validate_<field>, no
    validate, no serializer-level validators, no read-only or nested sources (checked)."""

    @classmethod
    def parse(cls, data) -> dict:
        """The validated data of a request body; ValidationError (DRF's) when it is invalid."""
        if isinstance(data, dict):
            validated = {}
            try:
                for field in _bound_fields(cls).values():
                    try:
                        value = field.run_validation(field.get_value(data))
                    except SkipField:
                        continue
                    validated[field.source] = value
            except (serializers.ValidationError, DjangoValidationError):
                pass
            else:
                return validated
        serializer = cls(data=data)
        serializer.__dict__["fields"] = _bound_fields(cls)  # the cached_property's slot
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


@cache
def _bound_fields(serializer_class: type[RequestSerializer]):
    """The fields DRF would deep-copy into every serializer of this class, bound once per
    process (to a serializer without data). Validation keeps its state in the serializer and in
    local variables, not in the fields, so requests and threads may share them."""
    serializer = serializer_class()
    own = set(vars(serializer_class)) | set(getattr(serializer_class, "Meta", type).__dict__)
    unsupported = {"validate", "validators"} & own
    unsupported |= {name for name in own if name.startswith("validate_")}
    unsupported |= {
        name
        for name, field in serializer.fields.items()
        if field.read_only or len(field.source_attrs) != 1
    }
    if unsupported or serializer.get_validators():
        raise TypeError(f"{serializer_class.__name__}: parse() cannot apply {unsupported}")
    return serializer.fields


class RegisterRequestSerializer(RequestSerializer):
    """A new customer: name, age, monthly income and a phone number no customer has yet (the
    approved limit is worked out from the income: the register operation says how)."""

    first_name = NameField()
    last_name = NameField()
    age = StrictIntegerField(min_value=MIN_AGE, max_value=MAX_AGE)
    # Capped so that the approved limit (36 × income) fits a money column.
    monthly_income = money_field(min_value=Decimal("0.01"), max_value=MAX_MONTHLY_INCOME)
    phone_number = PhoneNumberField()

    @classmethod
    def to_new_customer(cls, data) -> NewCustomer:
        return NewCustomer(**cls.parse(data))


class LoanRequestSerializer(RequestSerializer):
    """A loan asked for by a registered customer: the amount in rupees, the annual interest
    rate in percent and the number of monthly installments."""

    customer_id = StrictIntegerField(min_value=1, max_value=MAX_ID)
    loan_amount = money_field(min_value=Decimal("0.01"))
    interest_rate = rate_field()
    tenure = StrictIntegerField(min_value=1, max_value=MAX_TENURE_MONTHS)

    @classmethod
    def to_loan_request(cls, data) -> LoanRequest:
        return LoanRequest(**cls.parse(data))


class MakePaymentRequestSerializer(RequestSerializer):
    """A payment towards the loan: the amount in rupees and, optionally, the day it was paid."""

    amount = money_field(min_value=Decimal("0.01"))
    paid_on = serializers.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        help_text="YYYY-MM-DD; default today. Not in the future, not before the loan's start"
        " or its last recorded payment.",
    )


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


class OfferOptionSerializer(serializers.Serializer):
    """A request approved as it stands: send loan_amount, interest_rate and tenure back."""

    loan_amount = money_field()
    interest_rate = rate_field()
    tenure = serializers.IntegerField()
    monthly_installment = NumberField(max_digits=20, decimal_places=2)


class OfferSerializer(serializers.Serializer):
    """Counter-offer on a decline for affordability or the credit limit, at the corrected
    rate: the largest amount (whole 1,000s) at the requested tenure, and the shortest tenure
    for the requested amount; either may be null."""

    interest_rate = rate_field()
    largest_amount = OfferOptionSerializer(allow_null=True)
    shortest_tenure = OfferOptionSerializer(allow_null=True)


_OFFER_HELP = (
    "Counter-offer (declines for affordability or the credit limit when the slab lends); "
    "null otherwise, or when nothing would pass (the message says why)."
)


class EligibilityResponseSerializer(serializers.Serializer):
    decision_id = serializers.IntegerField(
        help_text="The stored decision: GET /view-decision/{id}."
    )
    customer_id = serializers.IntegerField(source="decision.customer_id")
    approval = serializers.BooleanField(source="decision.approved")
    interest_rate = rate_field(source="decision.interest_rate")
    corrected_interest_rate = rate_field(source="decision.corrected_interest_rate")
    tenure = serializers.IntegerField(source="decision.tenure")
    monthly_installment = NumberField(
        max_digits=20, decimal_places=2, source="decision.monthly_installment"
    )
    credit_score = serializers.IntegerField(source="decision.credit_score")
    message = serializers.CharField()
    reasons = ReasonSerializer(many=True, source="decision.reasons")
    offer = OfferSerializer(allow_null=True, help_text=_OFFER_HELP)


class CreateLoanResponseSerializer(serializers.Serializer):
    loan_id = serializers.IntegerField(allow_null=True)
    customer_id = serializers.IntegerField(source="decision.customer_id")
    loan_approved = serializers.BooleanField(source="decision.approved")
    message = serializers.CharField()
    monthly_installment = NumberField(
        max_digits=20, decimal_places=2, source="decision.monthly_installment"
    )
    interest_rate = rate_field(source="decision.corrected_interest_rate")
    credit_score = serializers.IntegerField(source="decision.credit_score")
    reasons = ReasonSerializer(many=True, source="decision.reasons")
    decision_id = serializers.IntegerField(
        help_text="The stored decision: GET /view-decision/{id}."
    )
    offer = OfferSerializer(allow_null=True, help_text=_OFFER_HELP)


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


class PaymentResponseSerializer(serializers.Serializer):
    repayment_id = serializers.IntegerField()
    customer_id = serializers.IntegerField()
    loan_id = serializers.IntegerField()
    paid_on = serializers.DateField()
    amount = money_field()
    installment_number = serializers.IntegerField()
    on_time = serializers.BooleanField()
    interest = money_field()
    principal = money_field()
    balance = money_field(help_text="Outstanding principal after this payment.")
    monthly_installment = money_field(help_text="The EMI from the next installment on.")
    repayments_left = serializers.IntegerField()
    loan_closed = serializers.BooleanField()


class StatementLineSerializer(serializers.Serializer):
    installment_number = serializers.IntegerField()
    due_date = serializers.DateField()
    amount = money_field(help_text="What the installment asks (or asked) for.")
    interest = money_field()
    principal = money_field()
    balance = money_field(help_text="Outstanding principal after the installment.")
    status = serializers.ChoiceField(choices=list(STATUSES))
    paid_on = serializers.DateField(allow_null=True)
    amount_paid = money_field(allow_null=True)


@extend_schema_field(StatementLineSerializer(many=True))
class StatementLinesField(serializers.Field):
    """The statement's lines: JSON text built by PostgreSQL (shaped as StatementLineSerializer
    documents), passed to the renderer as is (core/renderers.py)."""

    def to_representation(self, value: str) -> RawJSON:
        return RawJSON(value)


class StatementSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField()
    loan_id = serializers.IntegerField()
    principal = money_field()
    interest_rate = rate_field()
    tenure = serializers.IntegerField()
    amount_paid = NumberField(max_digits=20, decimal_places=2)
    monthly_installment = money_field()
    repayments_left = serializers.IntegerField()
    balance = money_field()
    next_due_date = serializers.DateField(allow_null=True)
    payoff_amount = money_field()
    loan_closed = serializers.BooleanField()
    installments = StatementLinesField(source="installments_json")


def points_field(**kwargs) -> serializers.DecimalField:
    """A score component or ratio as the view computed it (up to 20 decimals), a JSON number."""
    return serializers.DecimalField(
        max_digits=30, decimal_places=20, coerce_to_string=False, **kwargs
    )


class StoredDecisionSerializer(serializers.Serializer):
    """A row of the decision log (loan_decisions) as stored."""

    decision_id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=DecisionKind.values)
    decided_at = serializers.DateTimeField()
    customer_id = serializers.IntegerField()
    loan_amount = money_field()
    interest_rate = rate_field()
    tenure = serializers.IntegerField()
    credit_score = serializers.IntegerField()
    repayment_points = points_field()
    history_points = points_field()
    activity_points = points_field()
    volume_points = points_field()
    slab = serializers.CharField()
    corrected_interest_rate = rate_field()
    monthly_installment = NumberField(max_digits=20, decimal_places=2)
    current_emis = NumberField(max_digits=20, decimal_places=2)
    monthly_salary = money_field()
    current_debt = money_field()
    approved_limit = money_field()
    approved = serializers.BooleanField()
    reasons = ReasonSerializer(many=True)
    message = serializers.CharField()
    offer = serializers.SerializerMethodField()
    loan_id = serializers.IntegerField(allow_null=True)
    request_id = serializers.CharField(allow_null=True)
    api_key_name = serializers.CharField(allow_null=True)
    policy_version = serializers.CharField()

    @extend_schema_field(OfferSerializer(allow_null=True))
    def get_offer(self, row) -> dict | None:
        offer = stored_offer(row)
        return None if offer is None else representation(OfferSerializer)(offer)


class ScoreComponentsSerializer(serializers.Serializer):
    repayment_points = points_field()
    history_points = points_field()
    activity_points = points_field()
    volume_points = points_field()


class CreditFeaturesSerializer(serializers.Serializer):
    loans_taken = serializers.IntegerField()
    loans_active = serializers.IntegerField()
    emis_due = serializers.IntegerField()
    emis_paid_on_time = serializers.IntegerField()
    on_time_ratio = points_field(allow_null=True)
    loans_this_year = serializers.IntegerField()
    approved_volume = NumberField(max_digits=20, decimal_places=2)
    current_debt = money_field()
    current_emis = NumberField(max_digits=20, decimal_places=2)
    approved_limit = money_field()
    monthly_salary = money_field()


class SlabSerializer(serializers.Serializer):
    label = serializers.CharField()
    min_score = serializers.IntegerField()
    min_rate = rate_field(allow_null=True, help_text="Lowest rate lent at; null: no loans.")


class CreditScoreSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField(source="report.customer_id")
    credit_score = serializers.IntegerField(source="report.credit_score")
    over_limit = serializers.BooleanField(
        source="report.over_limit",
        help_text="True when current debt exceeds the approved limit, which sets the score to 0.",
    )
    components = ScoreComponentsSerializer(source="report.components")
    features = CreditFeaturesSerializer(source="report.features")
    slab = SlabSerializer()


DEPENDENCY_STATES = ("ok", "down")


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "degraded"])
    database = serializers.ChoiceField(choices=DEPENDENCY_STATES)
    broker = serializers.ChoiceField(choices=DEPENDENCY_STATES)


class LiveSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok"])


class ReadySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ready", "not_ready"])
    database = serializers.ChoiceField(choices=DEPENDENCY_STATES)
    migrations = serializers.ChoiceField(choices=["ok", "pending", "unknown"])
    broker = serializers.ChoiceField(choices=DEPENDENCY_STATES)


class ErrorSerializer(serializers.Serializer):
    status = serializers.IntegerField()
    code = serializers.CharField()
    message = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )
    payoff_amount = NumberField(
        max_digits=20,
        decimal_places=2,
        required=False,
        help_text="make-payment refusals: what would pay the loan off today.",
    )
