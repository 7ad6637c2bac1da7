"""The one place where failures become HTTP answers: always JSON, never a traceback."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions as drf
from rest_framework.response import Response

from core.services.errors import (
    IdempotencyKeyInvalid,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    NotFound,
    PhoneAlreadyRegistered,
    RequestInProgress,
)

logger = logging.getLogger("core.api")


def error_body(status: int, code: str, message: str, errors: dict | None = None) -> dict:
    body = {"status": status, "code": code, "message": message}
    if errors is not None:
        body["errors"] = errors
    return body


def _field_errors(detail) -> dict[str, list[str]]:
    """DRF's nested error detail as {field: [messages]} (nested fields joined with dots)."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(value, dict):
                for sub_key, messages in _field_errors(value).items():
                    flat[f"{key}.{sub_key}"] = messages
            else:
                flat[str(key)] = [str(m) for m in (value if isinstance(value, list) else [value])]
        return flat
    if isinstance(detail, list):
        return {"non_field_errors": [str(m) for m in detail]}
    return {"non_field_errors": [str(detail)]}


def _answer(exc: Exception) -> tuple[int, dict]:
    if isinstance(exc, drf.ValidationError):
        return 400, error_body(
            400, "invalid", "The request is not valid.", _field_errors(exc.detail)
        )
    if isinstance(exc, drf.ParseError):
        return 400, error_body(400, "malformed", str(exc.detail))
    if isinstance(exc, drf.UnsupportedMediaType):
        return 415, error_body(415, "unsupported_media_type", "The request body must be JSON.")
    if isinstance(exc, drf.MethodNotAllowed):
        return 405, error_body(405, "method_not_allowed", str(exc.detail))
    if isinstance(exc, NotFound):
        return 404, error_body(404, exc.code, str(exc))
    if isinstance(exc, (Http404, drf.NotFound)):
        return 404, error_body(404, "not_found", "Not found.")
    if isinstance(exc, (PhoneAlreadyRegistered, RequestInProgress)):
        return 409, error_body(409, exc.code, str(exc))
    if isinstance(exc, (IdempotencyKeyRequired, IdempotencyKeyInvalid)):
        return 400, error_body(400, exc.code, str(exc))
    if isinstance(exc, IdempotencyKeyReused):
        return 422, error_body(422, exc.code, str(exc))
    if isinstance(exc, (OperationalError, InterfaceError)):
        logger.error("database unreachable: %s", exc)
        return 503, error_body(503, "database_unavailable", "The database is unreachable.")
    if isinstance(exc, drf.APIException):
        return exc.status_code, error_body(exc.status_code, exc.default_code, str(exc.detail))
    if isinstance(exc, SuspiciousOperation):
        return 400, error_body(400, "bad_request", "The request was refused.")
    if isinstance(exc, PermissionDenied):
        return 403, error_body(403, "permission_denied", "Permission denied.")
    logger.exception("unhandled error", exc_info=exc)
    return 500, error_body(500, "server_error", "Internal server error.")


def api_exception_handler(exc: Exception, context: dict) -> Response:
    """DRF's EXCEPTION_HANDLER: every exception of an API view, mapped to a JSON answer."""
    status, body = _answer(exc)
    response = Response(body, status=status)
    if isinstance(exc, drf.MethodNotAllowed):
        view = context.get("view")
        if view is not None:
            response["Allow"] = ", ".join(view.allowed_methods)
    if status == 503:
        response["Retry-After"] = "5"
    if isinstance(exc, RequestInProgress):
        response["Retry-After"] = str(exc.retry_after_seconds)
    if isinstance(exc, drf.Throttled) and exc.wait is not None:
        response["Retry-After"] = str(max(1, int(exc.wait)))
    return response


@csrf_exempt
def json_not_found(request, exception=None) -> JsonResponse:
    """handler404: unknown routes answer JSON too."""
    return JsonResponse(error_body(404, "not_found", "No such route."), status=404)


def json_server_error(request) -> JsonResponse:
    """handler500: a last resort outside DRF views; the traceback stays in the server log."""
    return JsonResponse(error_body(500, "server_error", "Internal server error."), status=500)


def json_bad_request(request, exception=None) -> JsonResponse:
    return JsonResponse(error_body(400, "bad_request", "Bad request."), status=400)


def json_csrf_failure(request, reason: str = "") -> JsonResponse:
    """CSRF_FAILURE_VIEW: only the admin's forms use CSRF; answer JSON like everything else."""
    return JsonResponse(error_body(403, "csrf_failed", "CSRF verification failed."), status=403)
