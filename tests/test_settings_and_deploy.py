"""Settings fail loudly at start; the production profile passes `check --deploy` cleanly."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


KEY = secrets.token_urlsafe(50)


def test_production_profile_passes_check_deploy_without_warnings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_HTTPS="true",
        DJANGO_ALLOWED_HOSTS="credit.example.com",
        DJANGO_SECRET_KEY=KEY,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_debug_is_off_by_default():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DEBUG)",
        DJANGO_SECRET_KEY=KEY,
    )
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "DJANGO_SECRET_KEY is not set"),
        ({"DJANGO_SECRET_KEY": "replace-me-with-a-long-random-string"}, "placeholder"),
        ({"DJANGO_SECRET_KEY": KEY, "DJANGO_HTTPS": "true"}, "DJANGO_ALLOWED_HOSTS is required"),
        ({"DJANGO_SECRET_KEY": KEY, "DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG must be true or false"),
        ({"DJANGO_SECRET_KEY": KEY, "DJANGO_TIME_ZONE": "Mars/Olympus"}, "not a known time zone"),
        ({"DJANGO_SECRET_KEY": KEY, "DATABASE_URL": "mysql://x@y/z"}, "must point at PostgreSQL"),
        ({"DJANGO_SECRET_KEY": KEY, "DJANGO_CONN_MAX_AGE": "soon"}, "DJANGO_CONN_MAX_AGE"),
        ({"DJANGO_SECRET_KEY_FILE": "/nonexistent/secret"}, "cannot be read"),
    ],
)
def test_bad_configuration_stops_start_up_with_a_clear_message(env, message):
    result = manage("check", **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_secret_key_can_come_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text(KEY + "\n")
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(len(settings.SECRET_KEY))",
        DJANGO_SECRET_KEY_FILE=str(secret),
    )
    assert result.stdout.strip().splitlines()[-1] == str(len(KEY)), result.stderr


@pytest.mark.django_db
def test_security_headers_are_sent(api):
    response = api.get("/health")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
