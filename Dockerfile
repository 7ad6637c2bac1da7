# Credit Approval System: one image for every application role (web, worker, beat, one-shot
# commands). docker/entrypoint.sh picks the role from the first argument; see docker-compose.yml.
#
#   docker build -t credit-approval .
#   docker run --rm credit-approval python manage.py check     # any command runs as given
#
# Stages: base (Python and the pinned runtime dependencies), test (base + the development
# requirements + the code: `docker compose --profile test run --rm tests`), and the final
# runtime image (base + the code + its collected static files), the default build target.
#
# Nothing secret is baked in: the secret key, the database password and the broker URL come
# from the environment or from files named by *_FILE variables at run time.

FROM python:3.12-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# The unprivileged account the application runs as. The code stays owned by root, so the
# running service cannot rewrite itself.
RUN groupadd --system --gid 10001 app \
 && useradd --system --no-log-init --uid 10001 --gid app --home-dir /nonexistent \
        --no-create-home --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first, in their own layer: a code change does not reinstall them. Every
# requirement is a pinned, pure-Python or manylinux wheel, so no compiler is needed.
COPY requirements.txt ./
RUN pip install --no-cache-dir --requirement requirements.txt


FROM base AS test

COPY requirements-dev.txt ./
RUN pip install --no-cache-dir --requirement requirements-dev.txt
COPY . .
USER 10001:10001
# Arguments are pytest's: docker compose --profile test run --rm tests -k eligibility
ENTRYPOINT ["bash", "/app/docker/entrypoint.sh", "bash", "/app/docker/run-tests.sh"]
CMD []


FROM base AS runtime

COPY . .

# The docs page's assets are served by the service itself (whitenoise), so they are collected
# here. Settings refuse to load without a secret key; this build step gets a random one that
# lives only for this RUN and is never stored in the image.
RUN DJANGO_SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
        python manage.py collectstatic --noinput --verbosity 0 \
 && chmod 0755 docker/entrypoint.sh

USER 10001:10001

EXPOSE 8000

# Liveness of the web role: the HTTP server answers GET /health/live, which checks no
# dependency (restarting the web process would not bring the database back). Compose checks
# web's readiness (/health/ready) instead and gives worker and beat their own checks.
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 \
    CMD ["python", "/app/docker/healthcheck.py", "live"]

ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["web"]
