"""The one place where failures become HTTP answers: always JSON, never a traceback."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions as drf
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from core.services.errors import (
    IdempotencyKeyInvalid,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    InvalidLoanRequest,
    LoanClosed,
    NotFound,
    PaymentRefused,
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
    if isinstance(exc, InvalidLoanRequest):
        return 400, error_body(400, exc.code, "The request is not valid.", {exc.field: [str(exc)]})
    if isinstance(exc, NotFound):
        return 404, error_body(404, exc.code, str(exc))
    if isinstance(exc, (Http404, drf.NotFound)):
        return 404, error_body(404, "not_found", "Not found.")
    if isinstance(exc, (PhoneAlreadyRegistered, RequestInProgress)):
        return 409, error_body(409, exc.code, str(exc))
    if isinstance(exc, LoanClosed):
        return 409, error_body(409, exc.code, str(exc))
    if isinstance(exc, PaymentRefused):
        body = error_body(400, exc.code, str(exc))
        if getattr(exc, "payoff_amount", None) is not None:
            body["payoff_amount"] = exc.payoff_amount
        return 400, body
    if isinstance(exc, (IdempotencyKeyRequired, IdempotencyKeyInvalid)):
        return 400, error_body(400, exc.code, str(exc))
    if isinstance(exc, IdempotencyKeyReused):
        return 422, error_body(422, exc.code, str(exc))
    if isinstance(exc, (OperationalError, InterfaceError)):
        logger.error("database unreachable: %s", exc)
        return 503, error_body(503, "database_unavailable", "The database is unreachable.")
    if isinstance(exc, drf.APIException):
        return exc.status_code, error_body(exc.status_code, exc.default_code, str(exc.detail))
    if isinstance(exc, RequestDataTooBig):
        return 413, error_body(413, "payload_too_large", "The request body is over the limit.")
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


def error_response(status: int, code: str, message: str) -> HttpResponse:
    """An error answered outside DRF's views (unknown routes, the last-resort handlers), in the
    bytes DRF's JSONRenderer gives every API answer: one rendering for every error."""
    body = JSONRenderer().render(error_body(status, code, message))
    return HttpResponse(body, status=status, content_type="application/json")


@csrf_exempt
def json_not_found(request, exception=None) -> HttpResponse:
    """handler404: unknown routes answer JSON too."""
    return error_response(404, "not_found", "No such route.")


def json_server_error(request) -> HttpResponse:
    """handler500: a last resort outside DRF views; the traceback stays in the server log."""
    return error_response(500, "server_error", "Internal server error.")


def json_bad_request(request, exception=None) -> HttpResponse:
    return error_response(400, "bad_request", "Bad request.")


def json_csrf_failure(request, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: only the admin's forms use CSRF; answer JSON like everything else."""
    return error_response(403, "csrf_failed", "CSRF verification failed.")
