"""The /metrics exposition: the instruments of core/metrics.py plus state read at scrape time.

The state part is computed by the scraping process, so it is the same whichever process (web
worker, Celery worker) did the work: database and broker up gauges (the checks of
GET /health), and the ingestion runs read from the ingestion_runs table (runs happen in the
Celery worker, whose own counters no web process could see).
"""

from __future__ import annotations

import os

from django.db import DatabaseError, connection
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.utils import floatToGoString

from core.models import IngestionStatus
from core.services import health
from core.sqlfiles import read_sql

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
INGESTION_SECONDS_BOUNDS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
_ROW_KINDS = ("read", "inserted", "updated", "remapped")


class StateCollector:
    """Gauges and counters computed from the dependencies and the database at each scrape."""

    def collect(self):
        database = health.database_is_up()
        up = GaugeMetricFamily(
            "credit_database_up", "1 when PostgreSQL answered SELECT 1 at this scrape, else 0."
        )
        up.add_metric([], 1 if database else 0)
        yield up
        broker = GaugeMetricFamily(
            "credit_broker_up", "1 when the Celery broker (Redis) answered PING, else 0."
        )
        broker.add_metric([], 1 if health.broker_is_up() else 0)
        yield broker
        if database:
            yield from self._ingestion()

    def _ingestion(self):
        try:
            with connection.cursor() as cursor:
                cursor.execute(read_sql("sql/queries/monitoring/ingestion_runs.sql"))
                by_status = {row[0]: row[1:] for row in cursor.fetchall()}
                cursor.execute(
                    read_sql("sql/queries/monitoring/ingestion_run_buckets.sql"),
                    {"bounds": list(INGESTION_SECONDS_BOUNDS)},
                )
                buckets: dict[str, list[int]] = {}
                for status, _, count in cursor.fetchall():
                    buckets.setdefault(status, []).append(count)
        except DatabaseError:
            return
        runs = GaugeMetricFamily(
            "credit_ingestion_runs",
            "Ingestion runs recorded in ingestion_runs, by status (queued, running, succeeded, "
            "failed).",
            labels=["status"],
        )
        seconds = HistogramMetricFamily(
            "credit_ingestion_run_duration_seconds",
            "Duration (start to finish) of finished ingestion runs, by status.",
            labels=["status"],
        )
        rows = CounterMetricFamily(
            "credit_ingestion_rows",
            "Rows of succeeded ingestion runs: read (from both files), inserted, updated, "
            "remapped (new loans given a fresh loan_id).",
            labels=["kind"],
        )
        last = GaugeMetricFamily(
            "credit_ingestion_last_finished_timestamp_seconds",
            "When the last ingestion run of each status finished (Unix time).",
            labels=["status"],
        )
        totals = dict.fromkeys(_ROW_KINDS, 0)
        for status in IngestionStatus.values:
            values = by_status.get(status)
            runs.add_metric([status], values[0] if values else 0)
            if values is None:
                continue
            _, timed, total_seconds, *row_counts, last_finished = values
            if status == IngestionStatus.SUCCEEDED:
                totals = dict(zip(_ROW_KINDS, row_counts, strict=True))
            if timed:
                cumulative = [
                    (floatToGoString(bound), count)
                    for bound, count in zip(INGESTION_SECONDS_BOUNDS, buckets[status], strict=True)
                ]
                seconds.add_metric([status], [*cumulative, ("+Inf", timed)], total_seconds)
            if last_finished is not None:
                last.add_metric([status], last_finished)
        for kind, count in totals.items():
            rows.add_metric([kind], count)
        yield from (runs, seconds, rows, last)


def _instruments_registry():
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return REGISTRY  # this process's own values
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)
    return registry


def scrape() -> bytes:
    """The exposition text of every metric, in the Prometheus text format 0.0.4."""
    state = CollectorRegistry(auto_describe=False)
    state.register(StateCollector())
    return generate_latest(_instruments_registry()) + generate_latest(state)
