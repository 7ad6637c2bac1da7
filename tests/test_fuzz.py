"""Schemathesis against the service's own OpenAPI schema: no 5xx, responses as documented.

Bounded and reproducible: 100 examples per operation, derandomized (a fixed seed).
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

# A conforming request may still be refused for the state it meets: 409 (a phone taken, a key
# in use) and 422 (an Idempotency-Key the generator reused for another body) are such answers,
# not rejections of valid data.
CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
            }
        }
    }
)
schema = schemathesis.openapi.from_wsgi(
    "/schema?format=json", get_wsgi_application(), config=CONFIG
)


@pytest.fixture(autouse=True)
def _keep_the_test_transaction_open():
    """The raw WSGI app closes connections after each request (as in production); inside a
    test transaction it must not, exactly as Django's own test client arranges."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=100,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_schema(case):
    case.call_and_validate()
