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


class DecisionNotFound(NotFound):
    def __init__(self, decision_id: int) -> None:
        super().__init__(f"Decision {decision_id} does not exist.")
        self.decision_id = decision_id
