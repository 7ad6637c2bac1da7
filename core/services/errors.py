"""Domain errors raised by services; the API's exception handler maps them to HTTP answers."""

from __future__ import annotations


class ServiceError(Exception):
    """Base of the errors a client caused and can be told about."""

    code = "error"


class NotFound(ServiceError):
    code = "not_found"


class CustomerNotFound(NotFound):
    def __init__(self, customer_id: int) -> None:
        super().__init__(f"Customer {customer_id} does not exist.")
        self.customer_id = customer_id


class LoanNotFound(NotFound):
    def __init__(self, loan_id: int) -> None:
        super().__init__(f"Loan {loan_id} does not exist.")
        self.loan_id = loan_id


class PhoneAlreadyRegistered(ServiceError):
    code = "phone_number_taken"

    def __init__(self) -> None:
        super().__init__("A customer with this phone number is already registered.")


class LoanClosed(ServiceError):
    """The loan takes no more payments: paid off, or closed by the maturity sweep."""

    code = "loan_closed"

    def __init__(self, loan_id: int) -> None:
        super().__init__(f"Loan {loan_id} is closed and takes no more payments.")
        self.loan_id = loan_id


class PaymentRefused(ServiceError):
    """A payment the ledger cannot record as asked (answered 400, nothing written)."""

    code = "payment_refused"


def _money(value) -> str:
    return f"{value:,.2f}"


class PaymentBelowInterest(PaymentRefused):
    code = "amount_below_interest"

    def __init__(self, interest, payoff_amount) -> None:
        super().__init__(
            f"The amount is below this installment's interest of {_money(interest)}"
            f" (payoff amount {_money(payoff_amount)})."
        )
        self.interest = interest
        self.payoff_amount = payoff_amount


class PaymentAbovePayoff(PaymentRefused):
    code = "amount_above_payoff"

    def __init__(self, payoff_amount) -> None:
        super().__init__(
            f"The amount exceeds the payoff amount of {_money(payoff_amount)}"
            " (balance plus this installment's interest)."
        )
        self.payoff_amount = payoff_amount


class PaymentMustPayOff(PaymentRefused):
    code = "last_installment_must_pay_off"

    def __init__(self, payoff_amount) -> None:
        super().__init__(
            f"This is the last installment: it must pay off the loan, {_money(payoff_amount)}."
        )
        self.payoff_amount = payoff_amount


class PaymentDateRefused(PaymentRefused):
    code = "invalid_paid_on"


class InvalidLoanRequest(ServiceError):
    """A request the decision cannot be made on; names the field at fault."""

    code = "invalid"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class InstallmentRoundsToZero(InvalidLoanRequest):
    def __init__(self) -> None:
        super().__init__(
            "loan_amount",
            "The monthly installment of this loan would round to 0.00: raise the loan amount, "
            "shorten the tenure or raise the interest rate.",
        )


class IdempotencyKeyRequired(ServiceError):
    code = "idempotency_key_required"

    def __init__(self) -> None:
        super().__init__("This request changes state: send an Idempotency-Key header.")


class IdempotencyKeyInvalid(ServiceError):
    code = "idempotency_key_invalid"

    def __init__(self) -> None:
        super().__init__("An Idempotency-Key is 1 to 255 visible ASCII characters.")


class IdempotencyKeyReused(ServiceError):
    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was used for a different request (method, path or body); "
            "use a new key for a new request."
        )


class RequestInProgress(ServiceError):
    code = "request_in_progress"
    retry_after_seconds = 1

    def __init__(self) -> None:
        super().__init__(
            "A request with this Idempotency-Key is still being processed; retry shortly."
        )


class DecisionNotFound(NotFound):
    def __init__(self, decision_id: int) -> None:
        super().__init__(f"Decision {decision_id} does not exist.")
        self.decision_id = decision_id
