"""Celery application: broker and result backend come from Django settings (CELERY_*).

Logging: Celery's own set-up would replace the root logger's handlers and format (so worker
and beat lines would skip the masking JSON formatter). Connecting `setup_logging` tells Celery
to configure nothing; the receiver applies Django's LOGGING instead, so web, worker and beat
write the same masked JSON lines.
"""

import logging
import logging.config
import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("credit_system")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    # A broker (Redis) outage never ends the worker: it reconnects for as long as it takes
    # (the default gives up after 100 tries, and the process exits).
    broker_connection_max_retries=None,
    # A task running when the broker connection drops runs to its end: an ingestion that can
    # finish commits, and its ingestion_runs row records the outcome. (Cancelling it, Celery
    # 6's announced default, would throw away a load because Redis blinked.)
    worker_cancel_long_running_tasks_on_connection_loss=False,
)
app.autodiscover_tasks()


@setup_logging.connect
def _log_like_the_web_process(loglevel=None, **_: object) -> None:
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    if loglevel:  # --loglevel of the worker or beat command
        logging.getLogger().setLevel(loglevel)
