#!/usr/bin/env bash
# The project's test suite inside the compose stack, for a machine with Docker but without a
# local PostgreSQL and Redis (there, use `bash scripts/test.sh`):
#
#   docker compose --profile test run --rm tests [pytest args]
#
# The same environment as scripts/test.sh: the stack's PostgreSQL and Redis given as plain URLs
# (no *_FILE variables), a throw-away secret key, a Celery queue of its own (the stack's worker
# never takes the tests' tasks), and pytest-django's own database, test_credit_approval, created
# afresh beside the stack's data and dropped at the end.
set -euo pipefail
cd /app

password=$(cat "${DATABASE_PASSWORD_FILE:?}")
broker=$(cat "${CELERY_BROKER_URL_FILE:?}")
unset DATABASE_PASSWORD_FILE CELERY_BROKER_URL_FILE CELERY_RESULT_BACKEND_FILE \
      DJANGO_SECRET_KEY_FILE DJANGO_CACHE_URL_FILE DJANGO_CACHE_URL

export DATABASE_URL="postgres://credit:${password}@db:5432/credit_approval"
export CELERY_BROKER_URL="$broker" CELERY_RESULT_BACKEND="$broker"
export CELERY_TASK_DEFAULT_QUEUE="credit-test-$HOSTNAME-$$"
export DJANGO_SECRET_KEY
DJANGO_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(50))')
export DJANGO_DEBUG=false

python docker/bootstrap.py wait-db
python docker/bootstrap.py wait-broker
python docker/bootstrap.py wait-migrated     # the web container migrates the stack's database
python manage.py makemigrations --check --dry-run >/dev/null

exec python -m pytest -p no:cacheprovider --create-db "$@"
