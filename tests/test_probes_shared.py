"""The containers' start-up waits (docker/bootstrap.py) probe PostgreSQL and Redis through the
same functions as GET /health (core/services/health.py), so both say the same."""

from __future__ import annotations

import importlib.util

import pytest

from core.services import health
from tests.ingestion_support import REPO

pytestmark = pytest.mark.django_db


def load_bootstrap():
    spec = importlib.util.spec_from_file_location("bootstrap", REPO / "docker" / "bootstrap.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bootstrap_and_health_agree_when_both_services_are_up():
    bootstrap = load_bootstrap()
    assert bootstrap.database_ready() is None and health.database_is_up()
    assert bootstrap.broker_ready() is None and health.broker_is_up()


def test_bootstrap_and_health_give_the_same_reason_for_a_broker_down(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    bootstrap = load_bootstrap()
    reason = bootstrap.broker_ready()
    assert reason is not None and "Connection refused" in reason
    assert reason == health.broker_problem()
    assert not health.broker_is_up()
    assert bootstrap.broker_problem is health.broker_problem  # one implementation
    assert bootstrap.database_problem is health.database_problem
