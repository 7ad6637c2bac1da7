"""Settings for the Credit Approval System, read from the environment (django-environ).

A `.env` file beside manage.py is read when present. Every required value is checked here, at
start, so a misconfigured process stops with a clear message instead of failing on first use.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import zoneinfo
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Values copied from .env.example start with this marker; they are refused at start.
PLACEHOLDER_PREFIX = "replace-me"


def _read(name: str, default: str | None = None) -> str | None:
    """Value of NAME, or the content of the file named by NAME_FILE (Docker-secret style)."""
    file_name = env.str(f"{name}_FILE", default="")
    if file_name:
        try:
            value = Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_name!r} cannot be read: {exc}") from exc
    else:
        value = env.str(name, default=default)
    if value is not None and value.startswith(PLACEHOLDER_PREFIX):
        raise ImproperlyConfigured(
            f"{name} still holds the placeholder from .env.example; set a real value."
        )
    return value


_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


def _flag(name: str, default: bool) -> bool:
    """A strict boolean: a typo stops start-up instead of silently meaning false."""
    raw = env.str(name, default="").strip().lower()
    if not raw:
        return default
    if raw in _TRUE | _FALSE:
        return raw in _TRUE
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


_DURATION = re.compile(r"^([0-9]+)\s*([smhd]?)$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration_seconds(name: str, default: str) -> int:
    """A positive duration: seconds, or a number with s, m, h or d ("24h", "90m", "86400")."""
    raw = env.str(name, default=default).strip().lower()
    match = _DURATION.match(raw)
    if not match or int(match.group(1)) <= 0:
        raise ImproperlyConfigured(
            f"{name} must be a positive duration such as 86400, 90m or 24h, not {raw!r}"
        )
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


DEBUG = _flag("DJANGO_DEBUG", default=False)

SECRET_KEY = _read("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set (required when DJANGO_DEBUG is false). Set it in the "
            'environment or in .env beside manage.py, e.g. export DJANGO_SECRET_KEY="$(python -c '
            "'import secrets; print(secrets.token_urlsafe(50))')\" (or DJANGO_SECRET_KEY_FILE=path "
            "of a file holding it)"
        )
    # Debug runs without a configured key get a throw-away one: sessions do not survive restarts.
    SECRET_KEY = secrets.token_urlsafe(50)

# DJANGO_HTTPS=true is the production profile: the service sits behind a TLS-terminating
# proxy; cookies are secure, HTTP is redirected (except /health), HSTS is sent.
HTTPS = _flag("DJANGO_HTTPS", default=False)

if HTTPS and not env.str("DJANGO_ALLOWED_HOSTS", default=""):
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS is required when DJANGO_HTTPS is true (list the public host names)."
    )
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])

TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="UTC")
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
    raise ImproperlyConfigured(f"DJANGO_TIME_ZONE={TIME_ZONE!r} is not a known time zone") from exc
USE_TZ = True
USE_I18N = False
LANGUAGE_CODE = "en-us"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "rest_framework_api_key",
    "pgtrigger",
    "core",
]

MIDDLEWARE = [
    "core.middleware.RequestLogMiddleware",
    "core.middleware.RequestMetricsMiddleware",
    "core.middleware.NoStoreMiddleware",
    "core.middleware.BodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Sessions, authentication and messages, for /admin/ alone (the API has no sessions).
    "core.middleware.AdminSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
# The admin's checks that Session-, Authentication- and MessageMiddleware are in MIDDLEWARE:
# AdminSessionMiddleware runs them for the admin's paths.
SILENCED_SYSTEM_CHECKS = ["admin.E408", "admin.E409", "admin.E410"]

# Paths are exact, with or without a trailing slash; never answer with a redirect.
APPEND_SLASH = False

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
try:
    _db = env.db_url("DATABASE_URL", default="postgres://postgres@localhost:5432/credit_approval")
except (ValueError, KeyError, ImproperlyConfigured) as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is malformed: {exc}") from exc
if _db["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...).")
_db_password = _read("DATABASE_PASSWORD")
if _db_password:
    _db["PASSWORD"] = _db_password
try:
    _db["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
except ValueError as exc:
    raise ImproperlyConfigured(f"DJANGO_CONN_MAX_AGE must be an integer: {exc}") from exc
# No health check (a `SELECT 1` before each request's first query): a kept connection is
# trusted until it fails. The request that meets a broken one answers 503 JSON with Retry-After
# (core/exceptions.py); Django then closes it at the end of that request (a connection that saw
# an error is tested once and closed when unusable), so the next request connects anew.
_db["CONN_HEALTH_CHECKS"] = False
# The hot path's statements (core/statements.py) are prepared once per connection; turn this off
# when connections do not stay one PostgreSQL session (a pooler in transaction mode).
DATABASE_PREPARED_STATEMENTS = _flag("DATABASE_PREPARED_STATEMENTS", default=True)


def _positive(name: str, default: int) -> int:
    try:
        value = env.int(name, default=default)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer: {exc}") from exc
    if value <= 0:
        raise ImproperlyConfigured(f"{name} must be positive, not {value}")
    return value


# Every wait on the database is bounded (seconds). The first four bound the network: how long
# a connection attempt may take, and TCP keepalives / tcp_user_timeout, which notice a peer
# that has gone away (idle probes every INTERVAL after IDLE, COUNT unanswered = dead; unACKed
# data for TCP_USER_TIMEOUT = dead). The web server also bounds a database that is there but
# does not answer: statements are cancelled by the server after DATABASE_STATEMENT_TIMEOUT,
# and no answer is waited for longer than that plus DATABASE_CLIENT_GRACE (config/dbtimeouts.py).
DATABASE_CONNECT_TIMEOUT = _positive("DATABASE_CONNECT_TIMEOUT", 3)
DATABASE_STATEMENT_TIMEOUT = _positive("DATABASE_STATEMENT_TIMEOUT", 3)
DATABASE_CLIENT_GRACE = _positive("DATABASE_CLIENT_GRACE", 2)
_db["OPTIONS"] = {
    "connect_timeout": DATABASE_CONNECT_TIMEOUT,
    "keepalives": 1,
    "keepalives_idle": _positive("DATABASE_KEEPALIVES_IDLE", 10),
    "keepalives_interval": _positive("DATABASE_KEEPALIVES_INTERVAL", 3),
    "keepalives_count": _positive("DATABASE_KEEPALIVES_COUNT", 3),
    "tcp_user_timeout": _positive("DATABASE_TCP_USER_TIMEOUT", 10) * 1000,  # libpq: ms
    # credit_today() reads this setting, so SQL and Python agree on the calendar date.
    "options": f"-c credit.time_zone={TIME_ZONE}",
    "application_name": "credit-approval",
}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# GET /health answers from its last probe of PostgreSQL and Redis for this many seconds (per
# worker process); 0 probes on every call. A dependency that goes down or comes back shows in
# /health at most this late. /health/ready and /metrics always probe.
try:
    HEALTH_CACHE_SECONDS = env.float("HEALTH_CACHE_SECONDS", default=1.0)
except ValueError as exc:
    raise ImproperlyConfigured(f"HEALTH_CACHE_SECONDS must be a number: {exc}") from exc
if not 0 <= HEALTH_CACHE_SECONDS <= 60:
    raise ImproperlyConfigured(
        f"HEALTH_CACHE_SECONDS must be from 0 to 60, not {HEALTH_CACHE_SECONDS}"
    )

# --- Static files (docs page assets are served by the service itself) ----------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve app static files straight from the packages too, so local runs need no collectstatic.
WHITENOISE_USE_FINDERS = True

# --- REST framework -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_PARSER_CLASSES": ["core.parsers.DecimalJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.renderers.DirectContentNegotiation",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["core.permissions.ApiKeyWhenRequired"],
    "DEFAULT_THROTTLE_CLASSES": ["core.throttling.ClientRateThrottle"],
    "NUM_PROXIES": env.int("DJANGO_NUM_PROXIES", default=0),
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "core.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.schema.ApiSchema",
    "COERCE_DECIMAL_TO_STRING": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Credit Approval System API",
    "DESCRIPTION": "Registers customers, decides on loans and shows them.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PREPROCESSING_HOOKS": ["core.schema.one_path_per_endpoint"],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"DependencyStateEnum": "core.serializers.DEPENDENCY_STATES"},
}

# The largest request body accepted (bytes): larger ones get 413 JSON. A request of this API
# is well under 1 KiB; the limit leaves room and keeps memory per request small.
try:
    API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=65536)
except ValueError as exc:
    raise ImproperlyConfigured(f"API_MAX_BODY_BYTES must be an integer: {exc}") from exc
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES

# --- Access control -------------------------------------------------------------------------------
# API keys (manage.py api_keys create NAME) for every endpoint but /health and the docs.
API_KEY_REQUIRED = _flag("API_KEY_REQUIRED", default=False)
# The Django admin (/admin/) is routed only when DJANGO_ADMIN_ENABLED is true: off by
# default, so no login form is exposed to the API's clients (it has no throttle or lockout of
# its own; expose it only on a trusted network).
ADMIN_ENABLED = _flag("DJANGO_ADMIN_ENABLED", default=False)
# Per-client limit such as "100/minute" ("s", "m", "h", "d" units); empty = unlimited.
API_THROTTLE_RATE = env.str("API_THROTTLE_RATE", default="")
# Where throttle counters live; local memory is per process, redis://... is shared.
# DJANGO_CACHE_URL_FILE names a file holding it (compose: a password-protected Redis database).
CACHES = {
    "default": environ.Env.cache_url_config(_read("DJANGO_CACHE_URL", default="locmemcache://"))
}

# --- Idempotency keys ----------------------------------------------------------------------------
# POSTs that change state accept an Idempotency-Key header (core/idempotency.py); with this on
# they require it (400 idempotency_key_required without it).
IDEMPOTENCY_REQUIRED = _flag("IDEMPOTENCY_REQUIRED", default=False)
# How long a key and its stored answer are kept (seconds, or 90m / 24h / 7d).
IDEMPOTENCY_TTL = _duration_seconds("IDEMPOTENCY_TTL", default="24h")

# --- Metrics --------------------------------------------------------------------------------------
# Who may scrape GET /metrics (no API key needed): a comma list of networks (CIDR) and/or
# "container-networks" (the subnets this container is attached to, minus their gateway, through
# which published-port traffic arrives). Proxied requests (X-Forwarded-For, Forwarded) are
# always refused. Several gunicorn workers share their counters through files in
# PROMETHEUS_MULTIPROC_DIR (emptied by docker/entrypoint.sh before gunicorn starts).
METRICS_CONTAINER_NETWORKS = "container-networks"
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.0/8", "::1/128"])
for _entry in METRICS_ALLOWED_NETWORKS:
    if _entry != METRICS_CONTAINER_NETWORKS:
        try:
            ipaddress.ip_network(_entry, strict=False)
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"METRICS_ALLOWED_NETWORKS: {_entry!r} is neither a network (CIDR) nor "
                f"{METRICS_CONTAINER_NETWORKS!r}"
            ) from exc

# --- Celery ---------------------------------------------------------------------------------------
CELERY_BROKER_URL = _read("CELERY_BROKER_URL", default="redis://localhost:6379/0")
CELERY_RESULT_BACKEND = _read("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
# Celery reads these two variables straight from the environment, ahead of Django's settings;
# keep them equal to the values resolved here (e.g. from *_FILE) so both agree.
os.environ["CELERY_BROKER_URL"] = CELERY_BROKER_URL
os.environ["CELERY_RESULT_BACKEND"] = CELERY_RESULT_BACKEND
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="credit")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TRACK_STARTED = True
CELERY_RESULT_EXTENDED = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 3, "socket_timeout": 10}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "close-matured-loans": {
        "task": "core.tasks.close_matured_loans",
        # Just after midnight in DJANGO_TIME_ZONE, when "today" moves on.
        "schedule": crontab(hour=0, minute=5),
    },
    "purge-expired-idempotency-keys": {
        "task": "core.tasks.purge_expired_idempotency_keys",
        "schedule": crontab(hour=0, minute=35),
    },
}

# --- Ingestion ------------------------------------------------------------------------------------
# work_mem of the ingestion run's transaction only (sorts of the staged rows stay in memory);
# PostgreSQL backend memory, not the worker's.
INGEST_WORK_MEM = env.str("INGEST_WORK_MEM", default="256MB")

# --- Logging --------------------------------------------------------------------------------------
LOG_LEVEL = env.str("DJANGO_LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "core.logfmt.JsonFormatter"}},
    "filters": {
        "one_line_warning": {"()": "core.logfmt.OneLineWarning"},
        "task_outcome_without_values": {"()": "core.logfmt.TaskOutcomeWithoutValues"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Every request is logged once by core.middleware; API errors by core.exceptions with
        # their traceback. Django's own 4xx warnings would only repeat that; 5xx stay logged.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # Celery's task outcome lines, without the task's result (see core/logfmt.py).
        "celery.app.trace": {"filters": ["task_outcome_without_values"]},
        # A request with a Host not in DJANGO_ALLOWED_HOSTS is the client's mistake (or a
        # scanner), answered 400: one WARNING line, no traceback.
        "django.security.DisallowedHost": {
            "handlers": ["console"],
            "level": "WARNING",
            "filters": ["one_line_warning"],
            "propagate": False,
        },
    },
}

# --- Security -------------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
# Container and load-balancer probes and the metrics scraper speak plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health(/live|/ready)?/?$", r"^metrics/?$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
CSRF_FAILURE_VIEW = "core.exceptions.json_csrf_failure"
