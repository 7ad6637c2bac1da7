"""The service's Prometheus instruments, and the plain functions that move them.

Under gunicorn every worker process writes its values to files in PROMETHEUS_MULTIPROC_DIR
(prometheus-client's multiprocess mode, chosen when that variable is set before this module is
imported), and GET /metrics adds up the files of all workers, dead ones included, so counters
never go backwards when a worker is replaced. Without the variable (tests, runserver) values
live in this process.

Labels are bounded: `endpoint` is the URL route name (never the raw path, whose ids would make
one series per customer), methods outside the usual few are "other", rules are the decision's
fixed rule codes.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from prometheus_client import Counter, Histogram

KIND_CHECK_ELIGIBILITY = "check_eligibility"
KIND_CREATE_LOAN = "create_loan"
# Outcomes of a recorded payment.
PAYMENT_ON_TIME, PAYMENT_LATE, PAYMENT_PAID_OFF = "on_time", "late", "paid_off"

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "credit_http_requests",
    "HTTP requests answered, by endpoint (URL route name), method and status.",
    ["endpoint", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "credit_http_request_duration_seconds",
    "Time from the request reaching Django to its answer, by endpoint (URL route name).",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
DECISIONS = Counter(
    "credit_decisions",
    "Loan decisions made (committed), by kind (check_eligibility, create_loan) and outcome "
    "(approved, declined).",
    ["kind", "outcome"],
)
FAILED_RULES = Counter(
    "credit_decision_failed_rules",
    "Rules failed by declined decisions, by kind and rule (credit_score, interest_rate, "
    "affordability, credit_limit); a decline can fail several.",
    ["kind", "rule"],
)
PAYMENTS = Counter(
    "credit_payments",
    "Payments recorded (committed), by outcome (on_time, late, paid_off).",
    ["outcome"],
)


def observe_request(endpoint: str, method: str, status: int, seconds: float) -> None:
    method = method if method in _METHODS else "other"
    REQUESTS.labels(endpoint, method, str(status)).inc()
    REQUEST_SECONDS.labels(endpoint).observe(seconds)


def _after_commit(action) -> None:
    # Counted when the transaction that made the effect commits (at once outside one), so a
    # rolled-back request leaves the counters untouched.
    transaction.on_commit(action)


def record_decision(kind: str, *, approved: bool, failed_rules: Iterable[str]) -> None:
    """One loan decision of `kind`; call where the decision is made."""
    rules = tuple(failed_rules)

    def count() -> None:
        DECISIONS.labels(kind, "approved" if approved else "declined").inc()
        for rule in rules:
            FAILED_RULES.labels(kind, rule).inc()

    _after_commit(count)


def record_payment(outcome: str) -> None:
    """One payment request with its outcome (e.g. "settled", "refused"); call from the payment
    service where the outcome is known."""
    _after_commit(lambda: PAYMENTS.labels(outcome).inc())
