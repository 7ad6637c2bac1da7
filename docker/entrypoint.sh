#!/usr/bin/env bash
# Entrypoint of the application image. The first argument names the role:
#
#   web      wait for the database, apply migrations (one container at a time), enqueue the
#            sample-data ingestion unless a run already succeeded, then serve with gunicorn
#            (config/gunicorn.conf.py)
#   worker   wait for the database, the broker and the migrations, then run a Celery worker
#   beat     wait for the broker, then run the Celery beat scheduler (exactly one of these)
#   *        anything else runs as given (python manage.py ..., bash, celery ...)
#
# Every role first waits for the files named by *_FILE variables: in compose they are written
# by the one-shot secrets-init service, which some compose implementations start in parallel
# with everything else. Each wait is a retry loop bounded by WAIT_TIMEOUT seconds (default 120);
# on time-out the container exits non-zero and its restart policy tries again.
set -Eeuo pipefail

log() { printf '%s entrypoint[%s]: %s\n' "$(date -u +%FT%TZ)" "${ROLE:-?}" "$*" >&2; }

WAIT_TIMEOUT=${WAIT_TIMEOUT:-120}
ROLE=${1:-web}
cd /app

wait_for_secret_files() {
    local var path deadline=$((SECONDS + WAIT_TIMEOUT)) announced=
    for var in DJANGO_SECRET_KEY_FILE DATABASE_PASSWORD_FILE CELERY_BROKER_URL_FILE \
               CELERY_RESULT_BACKEND_FILE DJANGO_CACHE_URL_FILE; do
        path=${!var:-}
        [ -n "$path" ] || continue
        until [ -s "$path" ]; do
            if ((SECONDS >= deadline)); then
                log "$var=$path did not appear within ${WAIT_TIMEOUT}s (is secrets-init running?)"
                exit 1
            fi
            [ -n "$announced" ] || log "waiting for $path ($var)"
            announced=1
            sleep 1
        done
    done
}

bootstrap() { python /app/docker/bootstrap.py "$@"; }

enqueue_sample_ingestion() {
    # The ingestion is a background task; a failure to enqueue it (broker down) is logged and the web server starts anyway: the API does not depend on it, and the
    # next start tries again until one run has succeeded.
    if [ "${INGEST_ON_START:-true}" != true ]; then
        log "INGEST_ON_START=${INGEST_ON_START}: not enqueueing the sample data"
        return 0
    fi
    # An unreachable broker affects only /health and ingestion: wait for it briefly.
    if ! WAIT_TIMEOUT=${BROKER_WAIT_TIMEOUT:-30} bootstrap wait-broker; then
        log "broker unreachable: sample data not enqueued this time"
        return 0
    fi
    log "enqueueing the sample-data ingestion (skipped when a run already succeeded)"
    if ! python manage.py ingest_data --unless-succeeded; then
        log "the start-up ingestion was not enqueued (the reason is above); the web server starts anyway"
    fi
}

case "$ROLE" in
    web)
        wait_for_secret_files
        bootstrap wait-db
        bootstrap migrate
        enqueue_sample_ingestion
        # Metrics of every gunicorn worker are files here (prometheus-client multiprocess
        # mode); a fresh start begins from empty files (counters restart, as Prometheus expects).
        export PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-/tmp/prometheus-multiproc}
        rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
        log "starting gunicorn (config/gunicorn.conf.py) with ${WEB_CONCURRENCY:-2} workers x ${WEB_THREADS:-4} threads on :${PORT:-8000}"
        # Every setting (workers, threads, timeouts, limits) is in config/gunicorn.conf.py,
        # read from the environment; see config/serving.py for what the server does.
        exec gunicorn --config config/gunicorn.conf.py
        ;;
    worker)
        wait_for_secret_files
        bootstrap wait-db
        bootstrap wait-broker
        bootstrap wait-migrated
        log "starting the Celery worker (concurrency ${CELERY_WORKER_CONCURRENCY:=2})"
        # No gossip or mingle: nothing here uses them (control ping goes through the broker's
        # own channel), and gossip's reconnect after a broker outage logs errors for nothing.
        exec celery --app config worker --without-gossip --without-mingle \
            --loglevel "${CELERY_LOG_LEVEL:-INFO}" \
            --concurrency "${CELERY_WORKER_CONCURRENCY}" \
            --hostname "worker@%h"
        ;;
    beat)
        wait_for_secret_files
        bootstrap wait-broker
        log "starting Celery beat"
        # The schedule's last-run times live in /tmp: a restarted beat computes the next run
        # from now, and the worker's start-up sweep covers a run missed while it was down.
        exec celery --app config beat \
            --loglevel "${CELERY_LOG_LEVEL:-INFO}" \
            --schedule /tmp/celerybeat-schedule \
            --pidfile ""
        ;;
    *)
        wait_for_secret_files
        exec "$@"
        ;;
esac
