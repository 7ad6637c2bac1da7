"""GET /health, and 503 JSON on every endpoint when the database is unreachable."""

import json

import pytest
from django.db import connection

from tests.conftest import make_customer

ENDPOINTS = [
    (
        "post",
        "/register",
        {
            "first_name": "A",
            "last_name": "B",
            "age": 30,
            "monthly_income": 1000,
            "phone_number": 9000000001,
        },
    ),
    (
        "post",
        "/check-eligibility",
        {"customer_id": 1, "loan_amount": 1, "interest_rate": 1, "tenure": 1},
    ),
    ("post", "/create-loan", {"customer_id": 1, "loan_amount": 1, "interest_rate": 1, "tenure": 1}),
    ("get", "/view-loan/1", None),
    ("get", "/view-loans/1", None),
]


@pytest.mark.django_db
def test_health_ok(api):
    response = api.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert api.get("/health/").status_code == 200


@pytest.mark.django_db
def test_broker_down_degrades_health_only(api, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = api.get("/health")
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "database": "ok", "broker": "down"}
    customer = make_customer()
    assert api.get(f"/view-loans/{customer.pk}").status_code == 200


@pytest.fixture
def database_down(transactional_db):
    """Point the connection at a port where no PostgreSQL listens, then restore it."""
    original_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"
    yield
    connection.close()
    connection.settings_dict["PORT"] = original_port


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_database_down_is_503_json(api, database_down, method, path, body):
    kwargs = {"data": json.dumps(body), "content_type": "application/json"} if body else {}
    response = getattr(api, method)(path, **kwargs)
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"
    assert "Traceback" not in response.content.decode()


def test_database_down_health_names_it(api, database_down):
    response = api.get("/health")
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "database": "down", "broker": "ok"}
