"""GET /health/live and GET /health/ready, and the container health check that calls them."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
from django.db import connection

from core.services import health

ROOT = Path(__file__).resolve().parent.parent
READY = {"status": "ready", "database": "ok", "migrations": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_live_and_ready_when_everything_is_up(api):
    for path in ("/health/live", "/health/live/"):
        response = api.get(path)
        assert response.status_code == 200 and response.json() == {"status": "ok"}
    for path in ("/health/ready", "/health/ready/"):
        response = api.get(path)
        assert response.status_code == 200 and response.json() == READY


@pytest.mark.django_db
def test_broker_down_is_not_ready_but_alive(api, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    ready = api.get("/health/ready")
    assert ready.status_code == 503
    assert ready.json() == {**READY, "status": "not_ready", "broker": "down"}
    assert api.get("/health/live").status_code == 200


@pytest.mark.django_db
def test_unapplied_migrations_are_not_ready(api, monkeypatch):
    shipped = health._migrations_on_disk()
    monkeypatch.setattr(
        health, "_migrations_on_disk", lambda: shipped | {("core", "9999_not_applied")}
    )
    ready = api.get("/health/ready")
    assert ready.status_code == 503
    assert ready.json() == {**READY, "status": "not_ready", "migrations": "pending"}


@pytest.mark.django_db
def test_every_shipped_migration_is_checked(api):
    assert ("core", "0010_idempotency_keys") in health._migrations_on_disk()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE name = '0010_idempotency_keys'")
    assert api.get("/health/ready").json()["migrations"] == "pending"


@pytest.fixture
def database_down(transactional_db):
    original_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"
    yield
    connection.close()
    connection.settings_dict["PORT"] = original_port


def test_database_down_is_not_ready_but_alive(api, database_down):
    ready = api.get("/health/ready")
    assert ready.status_code == 503
    assert ready.json() == {
        "status": "not_ready",
        "database": "down",
        "migrations": "unknown",
        "broker": "ok",
    }
    assert api.get("/health/live").status_code == 200
    # /health keeps its contract.
    assert api.get("/health").json() == {"status": "degraded", "database": "down", "broker": "ok"}


@pytest.mark.django_db
def test_probes_need_no_api_key_and_are_not_throttled(api, settings):
    settings.API_KEY_REQUIRED = True
    settings.API_THROTTLE_RATE = "1/minute"
    for _ in range(3):
        assert api.get("/health/live").status_code == 200
        assert api.get("/health/ready").status_code == 200


def _healthcheck(live_server, *args: str) -> subprocess.CompletedProcess:
    port = urllib.parse.urlsplit(live_server.url).port
    return subprocess.run(
        [sys.executable, str(ROOT / "docker" / "healthcheck.py"), *args],
        env={**os.environ, "PORT": str(port), "DJANGO_ALLOWED_HOSTS": "localhost"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.live
def test_container_health_check_probes_liveness_or_readiness(live_server, settings):
    assert _healthcheck(live_server).returncode == 0
    assert _healthcheck(live_server, "ready").returncode == 0
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    not_ready = _healthcheck(live_server, "ready")
    assert not_ready.returncode == 1
    assert "503" in not_ready.stdout
    alive = _healthcheck(live_server, "live")
    assert alive.returncode == 0, alive.stdout
    assert _healthcheck(live_server, "sideways").returncode == 2


def test_the_image_and_compose_use_the_right_probe():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'CMD ["python", "/app/docker/healthcheck.py", "live"]' in dockerfile
    compose = (ROOT / "docker-compose.yml").read_text()
    assert '["CMD", "python", "/app/docker/healthcheck.py", "ready"]' in compose
