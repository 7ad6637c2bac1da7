"""Request middleware: one structured log line per request (with a request id echoed to the
client), the request metrics (count and latency by endpoint), the request body limit, no
caching of API answers, and sessions for the admin's paths alone."""

from __future__ import annotations

import logging
import re
import time
import uuid

from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import JsonResponse

from core import metrics
from core.exceptions import error_body
from core.logfmt import redact

logger = logging.getLogger("core.request")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestLogMiddleware:
    """Logs method, path, status, duration and request id; never bodies or query strings. A
    path no route takes is masked as the log's messages are (core/logfmt.py); a route's path
    is kept whole, its ids readable, in the message as in the path field."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        started = time.perf_counter()
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        path = request.path
        if endpoint_of(request) == "unmatched":  # any text, a phone number included
            path = redact(path)
        logger.info(
            "%s %s %s",
            request.method,
            path,
            response.status_code,
            extra={
                "method": request.method,
                "path": path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "request_id": request_id,
                "premasked": True,
            },
        )
        return response


class BodyLimitMiddleware:
    """A request that announces a body over API_MAX_BODY_BYTES is answered 413 before a byte
    of it is read. (The serving layer, config/serving.py, applies the same limit while it
    buffers bodies, chunked ones included; Django's DATA_UPLOAD_MAX_MEMORY_SIZE is set to it
    as well.)"""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.API_MAX_BODY_BYTES:
            return payload_too_large()
        return self.get_response(request)


def payload_too_large() -> JsonResponse:
    limit = settings.API_MAX_BODY_BYTES
    return JsonResponse(
        error_body(
            413, "payload_too_large", f"The request body is over the limit of {limit} bytes."
        ),
        status=413,
    )


class NoStoreMiddleware:
    """Every answer of the service may carry personal or credit data (names, phone numbers,
    salaries, loans): `Cache-Control: no-store` unless a response sets its own (static files)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
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


class AdminSessionMiddleware:
    """Django's session, authentication and message middleware, in that order, for paths under
    /admin/ only: the API keeps no sessions, so its requests skip them (config/settings.py
    silences the admin's checks that look for them in MIDDLEWARE)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.admin = SessionMiddleware(AuthenticationMiddleware(MessageMiddleware(get_response)))

    def __call__(self, request):
        if request.path_info.startswith("/admin/"):
            return self.admin(request)
        return self.get_response(request)
