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
