"""gunicorn configuration of the web role: `gunicorn --config config/gunicorn.conf.py`.

The one command line of the web server (docker/entrypoint.sh, bench/api.py and the serving
tests all start it so). What it sets up is explained in config/serving.py: gunicorn's asyncio
worker reads whole requests, a fixed pool of WEB_THREADS threads per worker runs Django.

Environment: PORT (8000), WEB_CONCURRENCY worker processes (2), WEB_THREADS threads each (4;
each thread keeps one database connection), WEB_HEADER_TIMEOUT / WEB_BODY_TIMEOUT seconds for
a request's head / body to arrive (10 / 10, else 408), WEB_KEEPALIVE seconds an idle
connection is kept (5), GUNICORN_TIMEOUT seconds a worker may miss its heartbeat before it is
restarted (30), GUNICORN_GRACEFUL_TIMEOUT seconds in-flight requests get on shutdown (30).
"""

import os

wsgi_app = "config.serving:application"
worker_class = "config.serving.Worker"
bind = [f"0.0.0.0:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Connections a worker serves at once (slow ones included); requests beyond the threads wait
# for one, already read whole.
worker_connections = 1000
keepalive = int(os.environ.get("WEB_KEEPALIVE", "5"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# The request line and header limits (defaults kept): over them gunicorn answers 414 / 431,
# in JSON (config/serving.py).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
# The heartbeat file in memory, not on the container's overlay disk.
if os.path.isdir("/dev/shm"):  # noqa: S108
    worker_tmp_dir = "/dev/shm"  # noqa: S108
control_socket_disable = True
errorlog = "-"
accesslog = None  # the application logs one JSON line per request (core.middleware)

# gunicorn's own lines (start, worker boots and exits) in the service's masked JSON format.
# (gunicorn merges this over its defaults key by key: "console" and "error_console" are the
# handler names its defaults refer to.)
_json_stderr = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "core.logfmt.JsonFormatter"}},
    "handlers": {"console": _json_stderr, "error_console": _json_stderr},
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {"handlers": ["error_console"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": [], "level": "INFO", "propagate": False},
    },
}
