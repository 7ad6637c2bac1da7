#!/usr/bin/env bash
# The project's one test command:   bash scripts/test.sh [pytest args]
#
# Needs PostgreSQL (default 127.0.0.1:5432, user postgres) and Redis (default 127.0.0.1:6379).
# Starts them when they are installed here but not running, makes a virtualenv (.venv) with the
# pinned requirements, creates a fresh database, generates a throw-away secret key, and runs
# the whole pytest suite against the real PostgreSQL and the real Redis.
set -euo pipefail
cd "$(dirname "$0")/.."

PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}
export PGHOST PGPORT PGUSER

log() { printf '==> %s\n' "$*" >&2; }

ensure_postgres() {
    if pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null; then return; fi
    if command -v pg_ctlcluster >/dev/null 2>&1; then
        log "starting PostgreSQL"
        for version in /etc/postgresql/*; do
            pg_ctlcluster --skip-systemctl-redirect "$(basename "$version")" main start || true
        done
    fi
    for _ in $(seq 30); do pg_isready -q -h "$PGHOST" -p "$PGPORT" && return; sleep 1; done
    log "PostgreSQL is not reachable at $PGHOST:$PGPORT"; exit 1
}

ensure_redis() {
    if redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1; then return; fi
    if command -v redis-server >/dev/null 2>&1; then
        log "starting Redis"
        mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
        redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
            --dir /tmp --logfile /tmp/redis-test.log
    fi
    for _ in $(seq 30); do redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1 && return; sleep 1; done
    log "Redis is not reachable at $REDIS_URL"; exit 1
}

ensure_venv() {
    local python=${PYTHON:-}
    if [ -z "$python" ]; then
        for candidate in python3.12 python3.11 python3; do
            if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
                python=$candidate; break
            fi
        done
    fi
    [ -n "$python" ] || { log "Python 3.11+ is required"; exit 1; }
    local stamp
    stamp=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)
    if [ ! -x .venv/bin/python ] || [ "$(cat .venv/.requirements 2>/dev/null)" != "$stamp" ]; then
        log "installing requirements into .venv"
        [ -x .venv/bin/python ] || "$python" -m venv .venv
        .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
        echo "$stamp" > .venv/.requirements
    fi
}

ensure_postgres
ensure_redis
ensure_venv

DB_NAME="credit_test_$$"
cleanup() {
    dropdb --if-exists "$DB_NAME" >/dev/null 2>&1 || true
    dropdb --if-exists "test_$DB_NAME" >/dev/null 2>&1 || true
}
trap cleanup EXIT
log "creating database $DB_NAME"
createdb "$DB_NAME"

export DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$DB_NAME"
export CELERY_BROKER_URL="$REDIS_URL"
export CELERY_RESULT_BACKEND="$REDIS_URL"
# A unique queue keeps concurrent runs on one Redis from taking each other's tasks.
export CELERY_TASK_DEFAULT_QUEUE="credit-test-$$"
export DJANGO_SECRET_KEY
DJANGO_SECRET_KEY=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')
export DJANGO_DEBUG=false
export SHARED_DATA_DIR=${SHARED_DATA_DIR:-$(cd .. && pwd)/shared/data}

log "migrating the fresh database (every table, constraint, trigger, view and comment)"
.venv/bin/python manage.py migrate --noinput >/dev/null
if ! drift=$(.venv/bin/python manage.py makemigrations --check --dry-run 2>&1); then
    log "the models and the migrations differ (makemigrations --check); what a new migration would hold:"
    printf '%s\n' "$drift" >&2
    exit 1
fi

log "running the test suite"
.venv/bin/python -m pytest "$@"
