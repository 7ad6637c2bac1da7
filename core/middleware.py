"""One structured log line per request, with a request id that is echoed to the client; and the
request metrics (count and latency by endpoint)."""

from __future__ import annotations

import logging
import re
import time
import uuid

from core import metrics

logger = logging.getLogger("core.request")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestLogMiddleware:
    """Logs method, path, status, duration and request id; never bodies or query strings."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        started = time.perf_counter()
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "request_id": request_id,
            },
        )
        return response


def endpoint_of(request) -> str:
    """The URL route name of the request ("view-loan", "admin:index"); the routes served with
    and without a trailing slash count as one; "unmatched" for paths no route names."""
    match = getattr(request, "resolver_match", None)
    if match is None or not match.url_name:
        return "unmatched"
    return match.view_name.removesuffix("-slash")


class RequestMetricsMiddleware:
    """Counts every answer by endpoint, method and status, and times it by endpoint."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        metrics.observe_request(
            endpoint_of(request),
            request.method,
            response.status_code,
            time.perf_counter() - started,
        )
        return response
